"""The per-credential request limit of /rest (Settings.rate_limit_per_minute, 0 = off):
error 14 "Request throttled." with `Retry-After`, counted in the database so every server
process shares the count.

A request is counted after its credentials are checked (wrong credentials are error 6, as a
401 comes before a 429 in the Tracx dialect): per permanent key or temporary key when it
carries one, else per client IP (anonymous reads, login)."""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from startline.dialects.runsignup.auth import CredentialKind
from startline.dialects.runsignup.errors import Throttled
from startline.domain.limits import count_hit
from startline.settings import Settings

WINDOW_SECONDS = 60
_MAX_NAME = 64  # buckets are String(200); a longer name is hashed


def key_bucket(kind: CredentialKind, key: str) -> str:
    """The bucket of a credential: its public half (the secret never names a bucket)."""
    return f"rsu:{'tmp' if kind == 'tmp_key' else 'key'}:{_name(key)}"


def ip_bucket(client_ip: str) -> str:
    return f"rsu:ip:{_name(client_ip)}"


def _name(text: str) -> str:
    if len(text) <= _MAX_NAME:
        return text
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def throttle(session: Session, settings: Settings, bucket: str) -> None:
    """Count one request in `session`; Throttled when the bucket is over the limit.

    Raise inside the caller's transaction: its rollback leaves the count at the limit, so
    the bucket stays throttled until the window ends."""
    limit = settings.rate_limit_per_minute
    if limit <= 0:
        return
    hit = count_hit(session, bucket=bucket, window_seconds=WINDOW_SECONDS)
    if hit.count > limit:
        raise Throttled(hit.retry_after_seconds)

"""Standard Webhooks 1.0 secrets and signatures (symmetric, `v1`): a secret is `whsec_` and
the base64 of 32 random bytes; a signature is `v1,` and the base64 HMAC-SHA256, keyed by the
decoded secret, of `<webhook-id>.<webhook-timestamp>.<body>`."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Iterable

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key a `whsec_` secret stands for."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("not a whsec_ secret")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except binascii.Error as exc:
        raise ValueError("not a whsec_ secret") from exc
    if not key:
        raise ValueError("not a whsec_ secret")
    return key


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<base64>` signature of a message."""
    signed = b"%s.%d.%s" % (message_id.encode(), timestamp, body)
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets_: Iterable[str], message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value: one signature per secret, space-separated (during a
    rotation the new and the old secret both sign)."""
    return " ".join(signature(secret, message_id, timestamp, body) for secret in secrets_)


def new_message_id() -> str:
    """A `webhook-id`: unique per message, the same on every attempt (no `.` in it)."""
    return "msg_" + secrets.token_hex(16)

"""The protected API signature: `<ID>.<unix_ts>.<nonce>.<hmac>`, HMAC-SHA1 of `"<ID>.<ts>.<nonce>."`
keyed with the signing secret; a 5-minute window and one use per nonce (kept in the database,
so replay protection holds across server processes)."""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from startline.db.base import utcnow
from startline.db.upsert import insert_for
from startline.dialects.runsignup.errors import ApiError, Code
from startline.domain.accounts.models import SigningIdentity, UsedNonce
from startline.domain.accounts.secrets import SecretBox
from startline.domain.accounts.service import prune_used_nonces
from startline.domain.accounts.signing import sign

__all__ = ["Signer", "sign", "verify"]

_FORMAT = re.compile(r"^(\d{1,9})\.(\d{1,12})\.([A-Za-z0-9]{8})\.([0-9A-Fa-f]{40})$")


@dataclass(frozen=True)
class Signer:
    identity_id: int
    partner_id: int | None


def verify(
    session: Session,
    signature: str | None,
    *,
    box: SecretBox,
    window_seconds: int,
    nonce_window_seconds: int,
    now: datetime | None = None,
) -> Signer:
    """The signer of a valid, fresh, unused signature; else ApiError 290, 291 or 292.

    The nonce is recorded in `session`: commit it whatever the request's outcome."""
    now = now or utcnow()
    match = _FORMAT.match(signature or "")
    if match is None:
        raise ApiError(Code.SIGNATURE_INVALID)
    identity_id, timestamp, nonce, given = (
        int(match[1]),
        int(match[2]),
        match[3],
        match[4].lower(),
    )
    identity = session.get(SigningIdentity, identity_id)
    if identity is None or identity.revoked_at is not None:
        raise ApiError(Code.SIGNATURE_INVALID)
    try:
        secret = box.open(identity.secret_encrypted)
    except ValueError as exc:
        raise ApiError(Code.SIGNATURE_INVALID) from exc
    expected = sign(identity_id, secret, timestamp, nonce).rsplit(".", 1)[1]
    if not hmac.compare_digest(expected, given):
        raise ApiError(Code.SIGNATURE_INVALID)
    if abs(now.timestamp() - timestamp) > window_seconds:
        raise ApiError(Code.SIGNATURE_EXPIRED)
    if not _claim_nonce(session, identity_id, nonce, now, nonce_window_seconds):
        raise ApiError(Code.SIGNATURE_REPLAYED)
    return Signer(identity_id=identity_id, partner_id=identity.partner_id)


def _claim_nonce(
    session: Session, identity_id: int, nonce: str, now: datetime, window_seconds: int
) -> bool:
    """Atomically record a nonce; False when it was already used inside the window."""
    table = UsedNonce.__table__
    statement = insert_for(session, table).values(
        signing_identity_id=identity_id, nonce=nonce, used_at=now
    )
    statement = statement.on_conflict_do_update(
        index_elements=["signing_identity_id", "nonce"],
        set_={"used_at": now},
        where=table.c.used_at < now - timedelta(seconds=window_seconds),
    ).returning(table.c.nonce)
    claimed = session.execute(statement).first() is not None
    # Keep the store small: nonces outside the window can never be replayed anyway.
    prune_used_nonces(session, window_seconds=window_seconds, now=now)
    return claimed

"""Who may call: authentication (401), the per-credential rate limit (429) and the
endpoint's permission (403), in that order."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from startline.dialects.tracx.auth import Credential, SessionTokens, authenticate
from startline.dialects.tracx.errors import (
    TOO_MANY,
    UNAUTHENTICATED,
    UNAUTHORIZED,
    TracxHttpError,
)
from startline.domain.accounts.models import ConnectToken
from startline.domain.limits import count_hit
from startline.http.context import Services

RATE_WINDOW_SECONDS = 60


def authorize(
    services: Services,
    tokens: SessionTokens,
    authorization: str | None,
    permission: str | None,
    *,
    connect_token_only: bool = False,
) -> tuple[Credential, ConnectToken]:
    """The caller's credential, or the TracxHttpError the request must end with."""
    with services.db.reading() as session:
        found = authenticate(session, authorization, tokens, connect_token_only=connect_token_only)
    return _admit(found, permission, lambda credential: throttle(services, credential))


def authorize_in(
    session: Session,
    services: Services,
    tokens: SessionTokens,
    authorization: str | None,
    permission: str,
) -> tuple[Credential, ConnectToken]:
    """`authorize` inside the caller's write transaction (the single upsert's group commit):
    the credential is read, and the rate-limit hit counted, in the same round as the write.
    A credential is read once per transaction: the requests of one group share it, as they
    share the transaction's view of the tokens (a revocation applies from the next one)."""
    known: dict[str | None, tuple[Credential, ConnectToken] | None]
    known = session.info.setdefault(_CREDENTIALS_SEEN, {})
    if authorization in known:
        found = known[authorization]
    else:
        found = known[authorization] = authenticate(session, authorization, tokens)
    return _admit(
        found, permission, lambda credential: _count_and_limit(session, services, credential)
    )


_CREDENTIALS_SEEN = "tracx.credentials"


def _admit(
    found: tuple[Credential, ConnectToken] | None,
    permission: str | None,
    count: Callable[[Credential], None],
) -> tuple[Credential, ConnectToken]:
    """401 without a credential, then the rate limit (`count`), then 403 without the
    permission: Laravel's order."""
    if found is None:
        raise TracxHttpError(401, UNAUTHENTICATED)
    count(found[0])
    if permission is not None and permission not in found[0].permissions:
        raise TracxHttpError(403, UNAUTHORIZED)
    return found


def throttle(services: Services, credential: Credential) -> None:
    """Laravel's throttle: N requests per minute per connect token, counted in the database
    so every server process shares the count (0 = off)."""
    if services.settings.rate_limit_per_minute <= 0:
        return
    with services.db.transaction() as session:
        _count_and_limit(session, services, credential)


def _count_and_limit(session: Session, services: Services, credential: Credential) -> None:
    limit = services.settings.rate_limit_per_minute
    if limit <= 0:
        return
    hit = count_hit(
        session,
        bucket=f"tracx:token:{credential.token_id}",
        window_seconds=RATE_WINDOW_SECONDS,
    )
    if hit.count > limit:
        raise TracxHttpError(
            429,
            TOO_MANY,
            headers={
                "Retry-After": str(max(hit.retry_after_seconds, 1)),
                "X-RateLimit-Limit": str(limit),
                "X-RateLimit-Remaining": "0",
            },
        )

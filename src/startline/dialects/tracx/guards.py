"""Who may call: authentication (401), the per-credential rate limit (429) and the
endpoint's permission (403), in that order."""

from __future__ import annotations

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
    if found is None:
        raise TracxHttpError(401, UNAUTHENTICATED)
    throttle(services, found[0])
    if permission is not None and permission not in found[0].permissions:
        raise TracxHttpError(403, UNAUTHORIZED)
    return found


def throttle(services: Services, credential: Credential) -> None:
    """Laravel's throttle: N requests per minute per connect token, counted in the database
    so every server process shares the count (0 = off)."""
    limit = services.settings.rate_limit_per_minute
    if limit <= 0:
        return
    with services.db.transaction() as session:
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

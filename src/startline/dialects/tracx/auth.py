"""Tracx credentials: connect tokens (`<id>|<secret>`) and the JWT session tokens issued for
them. A session token names its connect token, and every request re-reads that token, so
revoking it kills its session tokens at once."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from sqlalchemy.orm import Session

from startline.db.base import utcnow
from startline.domain.accounts.models import ConnectToken
from startline.domain.accounts.secrets import derive_key
from startline.domain.accounts.service import (
    authenticate_connect_token,
    find_live_connect_token,
)
from startline.domain.scopes import RaceScope

SESSION_KEY_PURPOSE = "tracx session tokens"
SESSION_TOKEN_TYPE = "tracx-session"  # noqa: S105 (a claim value, not a secret)
_ALGORITHM = "HS256"


@dataclass(frozen=True)
class Credential:
    """Who is calling: the connect token behind the request, its permissions and scope."""

    token_id: int
    permissions: frozenset[str]
    scope: RaceScope


class SessionTokens:
    """Issues and reads session tokens: HS256 JWTs under a key derived from the server secret."""

    def __init__(self, server_secret: str, ttl_seconds: int) -> None:
        self._key = derive_key(server_secret, SESSION_KEY_PURPOSE)
        self._ttl = timedelta(seconds=ttl_seconds)

    def issue(self, token: ConnectToken, now: datetime | None = None) -> tuple[str, int]:
        """(JWT, expiry in unix seconds); never outlives its connect token."""
        now = now or utcnow()
        expires = now + self._ttl
        if token.expires_at is not None:
            expires = min(expires, token.expires_at)
        expires_at = int(expires.timestamp())
        claims = {
            "sub": str(token.id),
            "typ": SESSION_TOKEN_TYPE,
            "iat": int(now.timestamp()),
            "exp": expires_at,
            "jti": secrets.token_hex(8),
        }
        return jwt.encode(claims, self._key, algorithm=_ALGORITHM), expires_at

    def token_id_of(self, text: str) -> int | None:
        """The connect token id a valid, unexpired session token names, else None."""
        try:
            claims = jwt.decode(
                text, self._key, algorithms=[_ALGORITHM], options={"require": ["exp", "sub"]}
            )
        except jwt.PyJWTError:
            return None
        subject = claims.get("sub")
        if claims.get("typ") != SESSION_TOKEN_TYPE or not isinstance(subject, str):
            return None
        if not subject.isdigit() or len(subject) > 18:
            return None
        return int(subject)


def token_text(authorization: str | None) -> str | None:
    """The token of an Authorization header, with or without a `Bearer ` prefix."""
    if authorization is None:
        return None
    text = authorization.strip()
    if text[:7].lower() == "bearer ":
        text = text[7:].strip()
    return text or None


def authenticate(
    session: Session,
    authorization: str | None,
    tokens: SessionTokens,
    *,
    connect_token_only: bool = False,
) -> tuple[Credential, ConnectToken] | None:
    """The credential of a live connect token or session token, or None (401)."""
    text = token_text(authorization)
    if text is None:
        return None
    if "|" in text:
        token = authenticate_connect_token(session, plaintext=text)
    elif connect_token_only:
        return None
    else:
        token_id = tokens.token_id_of(text)
        token = None if token_id is None else find_live_connect_token(session, token_id=token_id)
    if token is None:
        return None
    credential = Credential(
        token_id=token.id,
        permissions=token.permission_set,
        scope=RaceScope.of_token(token),
    )
    return credential, token

"""The demo set of credentials: one admin, an API key, a partner with a signing identity, a
timer and an all-permissions connect token.

Idempotent, and still able to print working secrets on every run: each demo secret is derived
from the server secret (HMAC), so running it again finds the same rows and the same secrets,
while the database still holds only hashes (and the encrypted signing secret)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from startline.domain.accounts.models import (
    ApiKey,
    ConnectToken,
    Partner,
    SigningIdentity,
    TimerAccount,
    TimerMember,
)
from startline.domain.accounts.secrets import SecretBox, hash_secret, secret_matches
from startline.domain.accounts.service import (
    PERMISSIONS,
    SCOPE_ALL,
    create_user,
    find_user,
)

DEMO_EMAIL = "demo@startline.example"
DEMO_PARTNER = "Demo partner"
DEMO_TIMER = "Demo timer"


@dataclass(frozen=True)
class DemoCredentials:
    email: str
    password: str
    user_id: int
    api_key: str
    api_secret: str
    partner_id: int
    partner_token: str
    signing_id: int
    signing_secret: str
    timer_id: int
    connect_token_id: int
    connect_token: str


def _derive(server_secret: str, purpose: str, length: int = 32) -> str:
    digest = hmac.new(server_secret.encode(), f"startline demo {purpose}".encode(), hashlib.sha256)
    return digest.hexdigest()[:length]


def ensure_demo(session: Session, *, server_secret: str, box: SecretBox) -> DemoCredentials:
    password = _derive(server_secret, "password", 20)
    user = find_user(session, email=DEMO_EMAIL) or create_user(
        session,
        email=DEMO_EMAIL,
        password=password,
        first_name="Demo",
        last_name="Director",
        is_admin=True,
    )
    session.flush()

    api_key, api_secret = (
        "demo" + _derive(server_secret, "api key", 28),
        _derive(server_secret, "api secret", 40),
    )
    if session.execute(select(ApiKey).where(ApiKey.key == api_key)).scalar_one_or_none() is None:
        session.add(ApiKey(user_id=user.id, key=api_key, secret_hash=hash_secret(api_secret)))

    token_key, token_secret = (
        "demo" + _derive(server_secret, "partner key", 12),
        _derive(server_secret, "partner secret", 40),
    )
    partner = session.execute(
        select(Partner).where(Partner.token_key == token_key)
    ).scalar_one_or_none()
    if partner is None:
        partner = Partner(
            name=DEMO_PARTNER, token_key=token_key, token_hash=hash_secret(token_secret)
        )
        session.add(partner)
        session.flush()

    signing_secret = _derive(server_secret, "signing secret", 40)
    identity = (
        session.execute(
            select(SigningIdentity)
            .where(SigningIdentity.partner_id == partner.id, SigningIdentity.revoked_at.is_(None))
            .order_by(SigningIdentity.id)
        )
        .scalars()
        .first()
    )
    if identity is None or box.open(identity.secret_encrypted) != signing_secret:
        identity = SigningIdentity(partner_id=partner.id, secret_encrypted=box.seal(signing_secret))
        session.add(identity)
        session.flush()

    timer = (
        session.execute(
            select(TimerAccount)
            .join(TimerMember, TimerMember.timer_id == TimerAccount.id)
            .where(TimerAccount.name == DEMO_TIMER, TimerMember.user_id == user.id)
        )
        .scalars()
        .first()
    )
    if timer is None:
        timer = TimerAccount(name=DEMO_TIMER)
        session.add(timer)
        session.flush()
        session.add(TimerMember(timer_id=timer.id, user_id=user.id))

    connect_secret = _derive(server_secret, "connect token", 40)
    token = next(
        (
            candidate
            for candidate in session.execute(
                select(ConnectToken).where(
                    ConnectToken.owner_id == user.id,
                    ConnectToken.scope == SCOPE_ALL,
                    ConnectToken.revoked_at.is_(None),
                    ConnectToken.expires_at.is_(None),
                )
            ).scalars()
            if secret_matches(connect_secret, candidate.secret_hash)
        ),
        None,
    )
    if token is None:
        token = ConnectToken(
            owner_id=user.id,
            secret_hash=hash_secret(connect_secret),
            permissions=" ".join(PERMISSIONS),
            scope=SCOPE_ALL,
        )
        session.add(token)
    session.flush()

    return DemoCredentials(
        email=DEMO_EMAIL,
        password=password,
        user_id=user.id,
        api_key=api_key,
        api_secret=api_secret,
        partner_id=partner.id,
        partner_token=f"{token_key}.{token_secret}",
        signing_id=identity.id,
        signing_secret=signing_secret,
        timer_id=timer.id,
        connect_token_id=token.id,
        connect_token=f"{token.id}|{connect_secret}",
    )

"""Tables for people and credentials: users, API keys, temporary credentials, partners,
signing identities, timer accounts, connect tokens, and the counters behind lockouts and
rate limits. Every secret is stored as a hash (signing secrets: encrypted)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from startline.db.base import Base, UTCDateTime, utcnow


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-case
    password_hash: Mapped[str] = mapped_column(String(200))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A disabled user cannot log in, and none of its keys, logins or tokens work.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiKey(Base):
    """A permanent RunSignup key pair: `key` is public, the secret only hashed."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")


class TemporaryCredential(Base):
    """A RunSignup login's tmp_key/tmp_secret; expires an idle hour after last use."""

    __tablename__ = "temporary_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")


class LoginFailure(Base):
    """One failed login, counted per e-mail for the lockout window."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_email_failed_at", "email", "failed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Partner(Base):
    """A registration partner; `partner_token` = `<token_key>.<secret>`, secret hashed."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    token_key: Mapped[str] = mapped_column(String(32), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A revoked partner's token stops working; its signing identities are revoked with it.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SigningIdentity(Base):
    """The ID + secret of the protected API signature; the secret must be read back to
    check an HMAC, so it is encrypted with a key derived from the server secret."""

    __tablename__ = "signing_identities"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partners.id", ondelete="SET NULL"), index=True
    )
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UsedNonce(Base):
    """Signature nonces seen per signing identity (replay protection across processes)."""

    __tablename__ = "used_nonces"

    signing_identity_id: Mapped[int] = mapped_column(
        ForeignKey("signing_identities.id", ondelete="CASCADE"), primary_key=True
    )
    nonce: Mapped[str] = mapped_column(String(16), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class TimerAccount(Base):
    __tablename__ = "timer_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TimerMember(Base):
    __tablename__ = "timer_members"

    timer_id: Mapped[int] = mapped_column(
        ForeignKey("timer_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ConnectToken(Base):
    """A Tracx connect token: `<id>|<secret>` (Sanctum's shape), the secret hashed.

    Scope: `races` (the races in connect_token_races), `timer` (every race of timer_id,
    present and future) or `all`."""

    __tablename__ = "connect_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    permissions: Mapped[str] = mapped_column(String(500))  # space-separated names
    scope: Mapped[str] = mapped_column(String(10))
    timer_id: Mapped[int | None] = mapped_column(
        ForeignKey("timer_accounts.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Loaded only when asked for: every Tracx request authenticates a token, few need its owner.
    owner: Mapped[User] = relationship(lazy="select")

    @property
    def permission_set(self) -> frozenset[str]:
        return frozenset(self.permissions.split())


class ConnectTokenRace(Base):
    __tablename__ = "connect_token_races"

    token_id: Mapped[int] = mapped_column(
        ForeignKey("connect_tokens.id", ondelete="CASCADE"), primary_key=True
    )
    race_id: Mapped[int] = mapped_column(
        ForeignKey("races.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class RateCounter(Base):
    """A fixed-window request counter (race creates per IP, requests per credential),
    kept in the database so it holds across server processes."""

    __tablename__ = "rate_counters"
    __table_args__ = (UniqueConstraint("bucket", "window_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bucket: Mapped[str] = mapped_column(String(200))
    window_start: Mapped[int] = mapped_column(Integer)  # unix seconds
    count: Mapped[int] = mapped_column(Integer, default=0)

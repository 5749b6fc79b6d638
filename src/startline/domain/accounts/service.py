"""Account services: users, keys, partners, signing identities, timers and connect tokens.

Each function takes an explicit session and leaves committing to the caller's transaction.
Functions that issue a secret return it once, in plain text; only its hash is stored."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal, cast

from sqlalchemy import CursorResult, Result, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from startline.db.base import utcnow
from startline.domain.accounts.models import (
    ApiKey,
    ConnectToken,
    ConnectTokenRace,
    LoginFailure,
    Partner,
    SigningIdentity,
    TemporaryCredential,
    TimerAccount,
    TimerMember,
    UsedNonce,
    User,
)
from startline.domain.accounts.secrets import (
    SecretBox,
    dummy_password_hash,
    hash_password,
    hash_secret,
    new_public_id,
    new_secret,
    password_matches,
    secret_matches,
)
from startline.domain.errors import Conflict, DomainError, NotFound
from startline.domain.ids import is_storable_id
from startline.domain.races.models import Race
from startline.domain.text import has_control_character

# What a connect token may do (decision 9: one vocabulary for the Tracx dialect and /api/v1).
EVENTS_LIST: Final = "permissions.events.list"
RACES_LIST: Final = "permissions.races.list"
PARTICIPANTS_STORE: Final = "permissions.participants.store"
PARTICIPANTS_STORE_MULTIPLE: Final = "permissions.participants.store-multiple"
PARTICIPANTS_LIST: Final = "permissions.participants.list"  # CSV export of a start list
CHANGES_LIST: Final = "permissions.changes.list"  # the change feed (/api/v1/changes)
PERMISSIONS = (
    EVENTS_LIST,
    RACES_LIST,
    PARTICIPANTS_STORE,
    PARTICIPANTS_STORE_MULTIPLE,
    PARTICIPANTS_LIST,
    CHANGES_LIST,
)
# What a connect token may see: listed races, its timer's races, or everything.
ScopeKind = Literal["races", "timer", "all"]
SCOPE_RACES: Final = "races"
SCOPE_TIMER: Final = "timer"
SCOPE_ALL: Final = "all"
SCOPE_KINDS: tuple[ScopeKind, ...] = (SCOPE_RACES, SCOPE_TIMER, SCOPE_ALL)
MIN_PASSWORD_LENGTH = 10

_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\"]+$")


class EmailTaken(Conflict):
    pass


class InvalidEmail(DomainError):
    pass


class UserNotFound(NotFound):
    pass


class ApiKeyNotFound(NotFound):
    pass


class TimerNotFound(NotFound):
    pass


class TokenNotFound(NotFound):
    pass


class RaceNotFoundForToken(NotFound):
    pass


class InvalidPermission(DomainError):
    pass


class InvalidScope(DomainError):
    pass


class InvalidPassword(DomainError):
    pass


class InvalidName(DomainError):
    pass


class PartnerNotFound(NotFound):
    pass


def rows_touched(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE touched (its result is a CursorResult)."""
    return cast("CursorResult[Any]", result).rowcount


def normalize_email(email: str) -> str:
    return email.strip().lower()


def is_valid_email(email: str) -> bool:
    return len(email) <= 320 and bool(_EMAIL.match(email))


def check_new_password(password: str) -> None:
    """The rule for a password a person sets (logins check any stored one)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidPassword(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


def scope_kind(value: str) -> ScopeKind:
    """A stored scope as its kind; ValueError for a value no token is created with."""
    for kind in SCOPE_KINDS:
        if value == kind:
            return kind
    raise ValueError(f"unknown scope {value!r}")


def clean_name(value: str, *, what: str, max_length: int) -> str:
    """A given name of a person, partner or timer: trimmed, not blank, one line, not too long."""
    cleaned = value.strip()
    if not cleaned:
        raise InvalidName(f"the {what} must not be blank")
    if has_control_character(cleaned):
        raise InvalidName(f"the {what} must not contain control characters")
    if len(cleaned) > max_length:
        raise InvalidName(f"the {what} must have at most {max_length} characters")
    return cleaned


def _optional_name(value: str | None, *, what: str) -> str | None:
    return None if value is None else clean_name(value, what=what, max_length=100)


def is_active(user: User) -> bool:
    return user.disabled_at is None


# --- users -------------------------------------------------------------------------------


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    first_name: str | None = None,
    last_name: str | None = None,
    is_admin: bool = False,
) -> User:
    email = normalize_email(email)
    if not is_valid_email(email):
        raise InvalidEmail(f"not a valid e-mail address: {email!r}")
    check_new_password(password)
    user = User(
        email=email,
        password_hash=hash_password(password),
        first_name=_optional_name(first_name, what="first name"),
        last_name=_optional_name(last_name, what="last name"),
        is_admin=is_admin,
    )
    try:
        with session.begin_nested():
            session.add(user)
    except IntegrityError as exc:
        raise EmailTaken(f"a user with e-mail {email} already exists") from exc
    return user


def find_user(session: Session, *, email: str) -> User | None:
    return session.execute(
        select(User).where(User.email == normalize_email(email))
    ).scalar_one_or_none()


def get_user(session: Session, *, email: str) -> User:
    user = find_user(session, email=email)
    if user is None:
        raise UserNotFound(f"no user with e-mail {normalize_email(email)}")
    return user


def check_password(session: Session, *, email: str, password: str) -> User | None:
    """The active user if the password is right; None otherwise (same work either way)."""
    user = find_user(session, email=email)
    if user is None or not is_active(user):
        password_matches(password, dummy_password_hash())
        return None
    return user if password_matches(password, user.password_hash) else None


def list_users(session: Session) -> list[User]:
    return list(session.execute(select(User).order_by(User.id)).scalars())


def set_password(session: Session, *, email: str, password: str) -> User:
    """A new password; the user's RunSignup logins end (they were made with the old one)."""
    user = get_user(session, email=email)
    check_new_password(password)
    user.password_hash = hash_password(password)
    _end_logins(session, user)
    clear_login_failures(session, email=user.email)
    return user


def disable_user(session: Session, *, email: str) -> User:
    """The user can no longer log in, and its keys, logins and tokens stop working at once
    (they are refused where credentials are checked, so enabling it again restores them)."""
    user = get_user(session, email=email)
    if user.disabled_at is None:
        user.disabled_at = utcnow()
    _end_logins(session, user)
    return user


def enable_user(session: Session, *, email: str) -> User:
    user = get_user(session, email=email)
    user.disabled_at = None
    return user


def _end_logins(session: Session, user: User) -> None:
    session.execute(
        update(TemporaryCredential)
        .where(TemporaryCredential.user_id == user.id, TemporaryCredential.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


# --- login lockout -----------------------------------------------------------------------


def record_login_failure(session: Session, *, email: str, now: datetime | None = None) -> None:
    session.add(LoginFailure(email=normalize_email(email), failed_at=now or utcnow()))


def _failure_window_start(window_seconds: int, now: datetime | None) -> datetime:
    """Failures at or before this moment no longer count towards a lockout."""
    return (now or utcnow()) - timedelta(seconds=window_seconds)


def recent_login_failures(
    session: Session, *, email: str, window_seconds: int, now: datetime | None = None
) -> int:
    since = _failure_window_start(window_seconds, now)
    return session.execute(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.email == normalize_email(email), LoginFailure.failed_at > since)
    ).scalar_one()


def clear_login_failures(session: Session, *, email: str) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.email == normalize_email(email)))


def prune_login_failures(
    session: Session, *, window_seconds: int, now: datetime | None = None
) -> int:
    """Delete failures outside the lockout window (they count for nothing); how many."""
    since = _failure_window_start(window_seconds, now)
    result = session.execute(delete(LoginFailure).where(LoginFailure.failed_at <= since))
    return rows_touched(result)


# --- signature nonces ----------------------------------------------------------------------


def prune_used_nonces(session: Session, *, window_seconds: int, now: datetime | None = None) -> int:
    """Delete nonces used before the replay window: a signature that old is refused as
    expired anyway, so they can never be replayed. How many were deleted."""
    since = (now or utcnow()) - timedelta(seconds=window_seconds)
    result = session.execute(delete(UsedNonce).where(UsedNonce.used_at < since))
    return rows_touched(result)


# --- permanent API keys ------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedKey:
    key: str
    secret: str


def create_api_key(session: Session, *, email: str) -> IssuedKey:
    user = get_user(session, email=email)
    key, secret = new_public_id(16), new_secret()
    session.add(ApiKey(user_id=user.id, key=key, secret_hash=hash_secret(secret)))
    session.flush()
    return IssuedKey(key=key, secret=secret)


def revoke_api_key(session: Session, *, key: str) -> None:
    result = session.execute(
        update(ApiKey)
        .where(ApiKey.key == key, ApiKey.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if rows_touched(result) == 0:
        raise ApiKeyNotFound(f"no active API key {key!r}")


def authenticate_api_key(session: Session, *, key: str, secret: str) -> User | None:
    row = session.execute(
        select(ApiKey).where(ApiKey.key == key, ApiKey.revoked_at.is_(None))
    ).scalar_one_or_none()
    if row is None:
        secret_matches(secret, hash_secret(""))  # equal work for unknown keys
        return None
    matched = secret_matches(secret, row.secret_hash)
    return row.user if matched and is_active(row.user) else None


def list_api_keys(session: Session) -> list[ApiKey]:
    return list(session.execute(select(ApiKey).order_by(ApiKey.id)).scalars())


_NO_HASH = hash_secret("")


def _checked(secret: str, stored_hash: str | None) -> bool:
    """A constant-time check that costs the same when the key is unknown (None), so timing
    does not tell which keys exist."""
    matched = secret_matches(secret, _NO_HASH if stored_hash is None else stored_hash)
    return matched and stored_hash is not None


# --- temporary credentials (RunSignup login) ------------------------------------------------


def create_temporary_credentials(session: Session, *, user: User) -> IssuedKey:
    key, secret = new_public_id(16), new_secret()
    now = utcnow()
    session.add(
        TemporaryCredential(
            user_id=user.id,
            key=key,
            secret_hash=hash_secret(secret),
            created_at=now,
            last_used_at=now,
        )
    )
    session.flush()
    return IssuedKey(key=key, secret=secret)


def authenticate_temporary_credentials(
    session: Session, *, key: str, secret: str, idle_seconds: int, now: datetime | None = None
) -> User | None:
    """The user of a live tmp_key/tmp_secret pair; each use extends its idle hour."""
    now = now or utcnow()
    row = session.execute(
        select(TemporaryCredential).where(
            TemporaryCredential.key == key, TemporaryCredential.revoked_at.is_(None)
        )
    ).scalar_one_or_none()
    if not _checked(secret, None if row is None else row.secret_hash) or row is None:
        return None
    if row.last_used_at <= now - timedelta(seconds=idle_seconds) or not is_active(row.user):
        return None
    row.last_used_at = now
    return row.user


def revoke_temporary_credentials(session: Session, *, key: str, secret: str) -> bool:
    row = session.execute(
        select(TemporaryCredential).where(
            TemporaryCredential.key == key, TemporaryCredential.revoked_at.is_(None)
        )
    ).scalar_one_or_none()
    if not _checked(secret, None if row is None else row.secret_hash) or row is None:
        return False
    row.revoked_at = utcnow()
    return True


# --- partners and signing identities ----------------------------------------------------------


@dataclass(frozen=True)
class IssuedPartner:
    partner_id: int
    partner_token: str
    signing_id: int
    signing_secret: str


def create_partner(session: Session, *, name: str, box: SecretBox) -> IssuedPartner:
    name = clean_name(name, what="partner name", max_length=200)
    token_key, token_secret = new_public_id(8), new_secret()
    partner = Partner(name=name, token_key=token_key, token_hash=hash_secret(token_secret))
    session.add(partner)
    session.flush()
    signing_id, signing_secret = create_signing_identity(session, partner_id=partner.id, box=box)
    return IssuedPartner(
        partner_id=partner.id,
        partner_token=f"{token_key}.{token_secret}",
        signing_id=signing_id,
        signing_secret=signing_secret,
    )


def create_signing_identity(
    session: Session, *, partner_id: int | None, box: SecretBox
) -> tuple[int, str]:
    secret = new_secret()
    identity = SigningIdentity(partner_id=partner_id, secret_encrypted=box.seal(secret))
    session.add(identity)
    session.flush()
    return identity.id, secret


def find_partner_by_token(session: Session, *, token: str) -> Partner | None:
    token_key, _, token_secret = token.partition(".")
    partner = session.execute(
        select(Partner).where(Partner.token_key == token_key)
    ).scalar_one_or_none()
    if not _checked(token_secret, None if partner is None else partner.token_hash):
        return None
    return partner if partner is not None and partner.revoked_at is None else None


def list_partners(session: Session) -> list[Partner]:
    return list(session.execute(select(Partner).order_by(Partner.id)).scalars())


def active_signing_ids(session: Session, *, partner_id: int) -> list[int]:
    return list(
        session.execute(
            select(SigningIdentity.id)
            .where(SigningIdentity.partner_id == partner_id, SigningIdentity.revoked_at.is_(None))
            .order_by(SigningIdentity.id)
        ).scalars()
    )


def revoke_partner(session: Session, *, partner_id: int) -> None:
    """The partner token and every signing identity of the partner stop working at once."""
    now = utcnow()
    result = session.execute(
        update(Partner)
        .where(Partner.id == partner_id, Partner.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    if rows_touched(result) == 0:
        raise PartnerNotFound(f"no active partner {partner_id}")
    session.execute(
        update(SigningIdentity)
        .where(SigningIdentity.partner_id == partner_id, SigningIdentity.revoked_at.is_(None))
        .values(revoked_at=now)
    )


# --- timer accounts ---------------------------------------------------------------------------


def create_timer(session: Session, *, name: str) -> TimerAccount:
    timer = TimerAccount(name=clean_name(name, what="timer name", max_length=200))
    session.add(timer)
    session.flush()
    return timer


def add_timer_member(session: Session, *, timer_id: int, email: str) -> None:
    if session.get(TimerAccount, timer_id) is None:
        raise TimerNotFound(f"no timer account {timer_id}")
    user = get_user(session, email=email)
    if session.get(TimerMember, (timer_id, user.id)) is None:
        session.add(TimerMember(timer_id=timer_id, user_id=user.id))
        session.flush()


def is_timer_member(session: Session, *, timer_id: int, user_id: int) -> bool:
    return session.get(TimerMember, (timer_id, user_id)) is not None


# --- connect tokens (Tracx) -------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    token_id: int
    token: str


def create_connect_token(
    session: Session,
    *,
    owner_email: str,
    permissions: Iterable[str],
    race_ids: Sequence[int] = (),
    timer_id: int | None = None,
    all_races: bool = False,
    expires_in_days: float | None = None,
) -> IssuedToken:
    owner = get_user(session, email=owner_email)
    permissions = list(dict.fromkeys(permissions))
    unknown = [p for p in permissions if p not in PERMISSIONS]
    if unknown or not permissions:
        problem = f"unknown permission {unknown[0]!r}" if unknown else "no permission given"
        raise InvalidPermission(f"{problem}; known: {', '.join(PERMISSIONS)}")
    chosen = sum([bool(race_ids), timer_id is not None, all_races])
    if chosen != 1:
        raise InvalidScope("give exactly one scope: races, a timer, or all")
    if all_races and not owner.is_admin:
        raise InvalidScope("only an admin's token may have scope 'all'")
    if timer_id is not None and session.get(TimerAccount, timer_id) is None:
        raise TimerNotFound(f"no timer account {timer_id}")
    for race_id in race_ids:
        if session.get(Race, race_id) is None:
            raise RaceNotFoundForToken(f"no race {race_id}")
    secret = new_secret()
    token = ConnectToken(
        owner_id=owner.id,
        secret_hash=hash_secret(secret),
        permissions=" ".join(permissions),
        scope=SCOPE_ALL if all_races else SCOPE_TIMER if timer_id is not None else SCOPE_RACES,
        timer_id=timer_id,
        expires_at=utcnow() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    session.add(token)
    session.flush()
    for race_id in dict.fromkeys(race_ids):
        session.add(ConnectTokenRace(token_id=token.id, race_id=race_id))
    session.flush()
    return IssuedToken(token_id=token.id, token=f"{token.id}|{secret}")


def revoke_connect_token(session: Session, *, token_id: int) -> None:
    result = session.execute(
        update(ConnectToken)
        .where(ConnectToken.id == token_id, ConnectToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if rows_touched(result) == 0:
        raise TokenNotFound(f"no active connect token {token_id}")


def list_connect_tokens(session: Session) -> list[ConnectToken]:
    return list(session.execute(select(ConnectToken).order_by(ConnectToken.id)).scalars())


def token_race_ids(session: Session, *, token: ConnectToken) -> list[int]:
    return list(
        session.execute(
            select(ConnectTokenRace.race_id)
            .where(ConnectTokenRace.token_id == token.id)
            .order_by(ConnectTokenRace.race_id)
        ).scalars()
    )


def is_token_live(token: ConnectToken, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return token.revoked_at is None and (token.expires_at is None or token.expires_at > now)


_tokens = ConnectToken.__table__
_users = User.__table__
# Every Tracx request reads its token: one cached Core statement, not an ORM load (profiled).
# The owner's `disabled_at` comes along: a disabled user's tokens do not work.
_TOKEN_BY_ID = (
    select(
        *(
            _tokens.c[name]
            for name in (
                "id",
                "owner_id",
                "secret_hash",
                "permissions",
                "scope",
                "timer_id",
                "created_at",
                "expires_at",
                "revoked_at",
            )
        ),
        _users.c.disabled_at.label("owner_disabled_at"),
    )
    .join_from(_tokens, _users, _tokens.c.owner_id == _users.c.id)
    .where(_tokens.c.id == bindparam("token_id"))
)


def _load_connect_token(session: Session, token_id: int) -> ConnectToken | None:
    """The token row as a detached object (no session state to build or track); None when
    it does not exist or its owner is disabled."""
    if not is_storable_id(token_id):
        return None
    row = session.connection().execute(_TOKEN_BY_ID, {"token_id": token_id}).first()
    if row is None:
        return None
    fields = dict(row._mapping)
    if fields.pop("owner_disabled_at") is not None:
        return None
    return ConnectToken(**fields)


def find_live_connect_token(session: Session, *, token_id: int) -> ConnectToken | None:
    token = _load_connect_token(session, token_id)
    return token if token is not None and is_token_live(token) else None


def authenticate_connect_token(session: Session, *, plaintext: str) -> ConnectToken | None:
    """The live token for `<id>|<secret>`, or None (unknown, wrong, revoked, expired)."""
    token_id, sep, secret = plaintext.partition("|")
    if not sep or not token_id.isdigit() or len(token_id) > 18:
        return None
    token = _load_connect_token(session, int(token_id))
    if token is None:
        secret_matches(secret, hash_secret(""))
        return None
    if not secret_matches(secret, token.secret_hash) or not is_token_live(token):
        return None
    return token

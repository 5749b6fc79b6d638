"""Credentials of the RunSignup dialect: permanent keys, rsu_api_key + header, temporary
credentials from login (precedence in that order), and the login lockout."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from startline.dialects.runsignup.errors import ApiError, Code
from startline.domain.accounts import service as accounts
from startline.domain.accounts.lockout import hold_account
from startline.domain.accounts.models import User
from startline.domain.accounts.secrets import DUMMY_PASSWORD_HASH, password_matches
from startline.domain.races.inputs import Actor
from startline.domain.text import has_control_character
from startline.settings import Settings

logger = logging.getLogger("startline.runsignup")
_TOKEN = re.compile(r"^[\x21-\x7e]{1,200}$")


# Which parameter carried the key: a permanent key (two ways) or a temporary one.
CredentialKind = Literal["api_key", "rsu_api_key", "tmp_key"]


@dataclass(frozen=True)
class Credentials:
    kind: CredentialKind
    key: str
    secret: str


def credentials_from(params: dict[str, str], header_secret: str | None) -> Credentials | None:
    """The credentials sent, by precedence: api_key, rsu_api_key, tmp_key."""
    if params.get("api_key"):
        return Credentials("api_key", params["api_key"], params.get("api_secret", ""))
    if params.get("rsu_api_key"):
        return Credentials("rsu_api_key", params["rsu_api_key"], header_secret or "")
    if params.get("tmp_key"):
        return Credentials("tmp_key", params["tmp_key"], params.get("tmp_secret", ""))
    return None


def authenticate(session: Session, credentials: Credentials, settings: Settings) -> User:
    """The user the credentials belong to; ApiError 6 when they are wrong or expired."""
    if not (_TOKEN.match(credentials.key) and _TOKEN.match(credentials.secret)):
        raise ApiError(Code.AUTH_FAILED)
    if credentials.kind == "tmp_key":
        user = accounts.authenticate_temporary_credentials(
            session,
            key=credentials.key,
            secret=credentials.secret,
            idle_seconds=settings.tmp_credentials_idle_seconds,
        )
    else:
        user = accounts.authenticate_api_key(
            session, key=credentials.key, secret=credentials.secret
        )
    if user is None:
        raise ApiError(Code.AUTH_FAILED)
    return user


def actor_of(user: User) -> Actor:
    return Actor(user_id=user.id, is_admin=user.is_admin)


@dataclass(frozen=True)
class LoginResult:
    """Either issued credentials for `user`, or the error code to answer."""

    error: Code | None
    user: User | None = None
    tmp_key: str = ""
    tmp_secret: str = ""


def login(session: Session, *, email: str, password: str, settings: Settings) -> LoginResult:
    """Check a login; failures are recorded in `session`, which the caller must commit."""
    email = email.strip()
    if not email or len(email) > 320 or not _printable(email):
        return LoginResult(error=Code.USER_NOT_FOUND)
    user = hold_account(session, email=email)  # before counting: parallel guesses queue here
    failures = accounts.recent_login_failures(
        session, email=email, window_seconds=settings.login_failure_window_seconds
    )
    if failures >= settings.login_max_failures:
        return LoginResult(error=Code.ACCOUNT_LOCKED)
    if user is None:
        password_matches(password, DUMMY_PASSWORD_HASH)  # same work as a real check
        accounts.record_login_failure(session, email=email)
        return LoginResult(error=Code.USER_NOT_FOUND)
    if not password_matches(password, user.password_hash):
        accounts.record_login_failure(session, email=email)
        return LoginResult(error=Code.LOGIN_INVALID)
    accounts.clear_login_failures(session, email=email)
    try:
        with session.begin_nested():
            issued = accounts.create_temporary_credentials(session, user=user)
    except SQLAlchemyError:
        logger.exception("could not create temporary credentials")
        return LoginResult(error=Code.TMP_CREDENTIALS_FAILED)
    return LoginResult(error=None, user=user, tmp_key=issued.key, tmp_secret=issued.secret)


def _printable(text: str) -> bool:
    return not has_control_character(text)


def logout(session: Session, *, key: str, secret: str) -> None:
    if not (_TOKEN.match(key) and _TOKEN.match(secret)):
        raise ApiError(Code.AUTH_FAILED)
    if not accounts.revoke_temporary_credentials(session, key=key, secret=secret):
        raise ApiError(Code.AUTH_FAILED)

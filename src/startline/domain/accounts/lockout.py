"""One account's login attempts, one at a time: the lockout counts every failure before the
next attempt is judged. PostgreSQL runs transactions side by side, so without this N parallel
guesses all see the same count and all get checked; SQLite's writers already queue."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from startline.domain.accounts.models import User
from startline.domain.accounts.service import normalize_email


def hold_account(session: Session, *, email: str) -> User | None:
    """The user of `email`, its row locked until `session` ends (None: no such user, or a
    disabled one, which cannot log in: the login answers as for an unknown e-mail).

    FOR NO KEY UPDATE: rows that merely reference the user (credentials) are not blocked."""
    user = session.execute(
        select(User).where(User.email == normalize_email(email)).with_for_update(key_share=True)
    ).scalar_one_or_none()
    return user if user is not None and user.disabled_at is None else None

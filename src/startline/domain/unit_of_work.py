"""Running a piece of domain work in its own write transaction, again when it may pass."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from startline.db.engine import Database
from startline.domain.errors import Retryable

T = TypeVar("T")


def run_in_transaction(db: Database, work: Callable[[Session], T], *, attempts: int = 2) -> T:
    """`work(session)` in a new write transaction, committed when it returns.

    When it raises a `Retryable` error (the data it judged changed under it), the transaction
    is rolled back and the whole work runs again in a new one, up to `attempts` runs in all;
    the last run's error is raised. Any other exception rolls back and is raised at once."""
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    attempt = 1
    while True:
        try:
            with db.transaction() as session:
                return work(session)
        except Retryable as exc:
            if not exc.retryable or attempt >= attempts:
                raise
        attempt += 1

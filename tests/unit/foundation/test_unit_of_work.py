"""run_in_transaction: one write transaction per run, a new one for a retryable refusal."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from startline.db.engine import Database
from startline.domain.accounts import service as accounts
from startline.domain.errors import DomainError
from startline.domain.participants.errors import Clash, ParticipantClash
from startline.domain.unit_of_work import run_in_transaction


class _Work:
    """Adds a user on every run, then raises the next of `errors` (or returns its run)."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.runs = 0

    def __call__(self, session: Session) -> int:
        self.runs += 1
        accounts.create_user(session, email=f"run{self.runs}@example.com", password="pw-10-chars")
        if self.errors:
            raise self.errors.pop(0)
        return self.runs


def _users(db: Database) -> list[str]:
    with db.reading() as session:
        return [
            email
            for run in range(1, 4)
            if accounts.find_user(session, email=(email := f"run{run}@example.com")) is not None
        ]


def _raced() -> ParticipantClash:
    return ParticipantClash([Clash(0, "chip_code")], raced=True)


def test_commits_what_the_work_wrote(db: Database) -> None:
    assert run_in_transaction(db, _Work()) == 1
    assert _users(db) == ["run1@example.com"]


def test_a_retryable_refusal_runs_again_in_a_new_transaction(db: Database) -> None:
    work = _Work(_raced())
    assert run_in_transaction(db, work) == 2
    assert _users(db) == ["run2@example.com"]  # the first run was rolled back


def test_the_last_runs_refusal_is_raised_and_nothing_is_kept(db: Database) -> None:
    work = _Work(_raced(), _raced(), _raced())
    with pytest.raises(ParticipantClash):
        run_in_transaction(db, work, attempts=3)
    assert work.runs == 3
    assert _users(db) == []


def test_a_refusal_any_transaction_would_repeat_is_raised_at_once(db: Database) -> None:
    work = _Work(ParticipantClash([Clash(0, "chip_code")]))  # not raced: not retryable
    with pytest.raises(ParticipantClash):
        run_in_transaction(db, work)
    assert work.runs == 1 and _users(db) == []


@pytest.mark.parametrize("error", [DomainError("no"), RuntimeError("bug")])
def test_other_errors_are_raised_at_once(db: Database, error: Exception) -> None:
    work = _Work(error)
    with pytest.raises(type(error)):
        run_in_transaction(db, work)
    assert work.runs == 1


def test_attempts_must_allow_one_run(db: Database) -> None:
    with pytest.raises(ValueError):
        run_in_transaction(db, _Work(), attempts=0)

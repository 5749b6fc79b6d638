"""Group commit: units share a transaction; a failing unit is rolled back alone (its journal
entries too); answers come only after the commit; a failed commit fails the whole group."""

from __future__ import annotations

import threading
from concurrent.futures import wait

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from startline.db.driver import driver_of
from startline.db.group_commit import GroupCommitter
from startline.domain.changes.journal import Entry, discard_unit, record, start_unit
from startline.domain.changes.models import Change
from startline.domain.changes.types import ChangeType
from tests.support.world import build_races_world


class Refused(Exception):
    pass


def _committer(db, **options) -> GroupCommitter:
    """As the app builds it: the journal told where each unit starts and which failed."""
    return GroupCommitter(db, unit_started=start_unit, unit_failed=discard_unit, **options)


def _journal(race_id: int, tag: str):
    def work(session):
        record(session, Entry(type=ChangeType.RACE_UPDATED, race_id=race_id, entity=f'"{tag}"'))
        session.execute(text("UPDATE races SET name = :n WHERE id = :r"), {"n": tag, "r": race_id})
        if tag.startswith("bad"):
            raise Refused(tag)
        return tag

    return work


def test_units_share_commits_and_fail_alone(db):
    world = build_races_world(db)
    committer = _committer(db, writers=1)  # one writer: the queued units form one group
    gate = threading.Event()
    # Hold the writer on a first unit so the others queue and form one group.
    blocker = committer.submit(lambda session: gate.wait(10))
    futures = [
        committer.submit(_journal(world.race_a, tag))
        for tag in ("one", "bad-two", "three", "bad-four", "five")
    ]
    gate.set()
    wait([blocker, *futures], timeout=30)
    assert [f.exception() is None for f in futures] == [True, False, True, False, True]
    assert isinstance(futures[1].exception(), Refused)
    committer.close()
    with db.reading() as s:
        entities = s.execute(select(Change.entity).order_by(Change.position)).scalars().all()
        name = s.execute(text("SELECT name FROM races WHERE id = :r"), {"r": world.race_a})
        assert name.scalar_one() == "five"
    assert entities == ['"one"', '"three"', '"five"']


def test_a_unit_writing_at_the_driver_is_rolled_back_alone(db):
    """Units that reach the database only through db/driver.py (the single upsert, once the
    transaction's driver connection is known) still run in their own savepoint: a failing
    one takes back its write, and on PostgreSQL the units after it still run (the failed
    statement does not abort the group's transaction)."""
    world = build_races_world(db)
    committer = _committer(db, writers=1)
    gate = threading.Event()
    blocker = committer.submit(lambda session: gate.wait(10))

    def rename(tag: str, fail_with_sql: bool):
        def work(session):
            driver = driver_of(session)
            driver.execute(
                f"UPDATE races SET name = {driver.mark} WHERE id = {driver.mark}",
                (tag, world.race_a),
            )
            if fail_with_sql:  # a statement the database refuses, after the write
                driver.execute("SELECT no_such_column FROM races")
            return tag

        return work

    futures = [
        committer.submit(rename(tag, tag.startswith("bad")))
        for tag in ("one", "bad-two", "three", "bad-four")
    ]
    gate.set()
    wait([blocker, *futures], timeout=30)
    assert [f.exception() is None for f in futures] == [True, False, True, False]
    committer.close()
    with db.reading() as s:
        name = s.execute(text("SELECT name FROM races WHERE id = :r"), {"r": world.race_a})
        assert name.scalar_one() == "three"


def test_several_writers_answer_every_unit_once_and_stop_on_close(db):
    world = build_races_world(db)
    committer = _committer(db, writers=3)

    def entry(number: int):
        def work(session):
            record(session, Entry(type=ChangeType.RACE_UPDATED, race_id=world.race_a, entity=None))
            return number

        return work

    futures = [committer.submit(entry(number)) for number in range(60)]
    assert [future.result(timeout=60) for future in futures] == list(range(60))
    committer.close()
    assert not any(thread.is_alive() for thread in committer._threads)
    with db.reading() as s:
        assert s.execute(select(func.count()).select_from(Change)).scalar_one() == 60


def test_a_retryable_refusal_runs_again_in_a_later_group(db):
    world = build_races_world(db)
    committer = _committer(db)
    runs: list[int] = []

    def flaky(session):
        runs.append(1)
        if len(runs) == 1:
            raise Refused("raced")
        return _journal(world.race_a, "again")(session)

    future = committer.submit(flaky, retry_if=lambda e: isinstance(e, Refused), attempts=2)
    assert future.result(timeout=30) == "again"
    assert len(runs) == 2
    committer.close()


def test_a_failed_commit_fails_every_unit_and_writes_nothing(db, monkeypatch):
    world = build_races_world(db)
    committer = _committer(db)
    real = db.transaction

    def failing_commit():
        class Boom(Exception):
            pass

        context = real()

        class Wrapper:
            def __enter__(self):
                return context.__enter__()

            def __exit__(self, *exc):
                if exc[0] is None:
                    context.__exit__(Boom, Boom("commit failed"), None)
                    raise Boom("commit failed")
                return context.__exit__(*exc)

        return Wrapper()

    monkeypatch.setattr(db, "transaction", failing_commit)
    future = committer.submit(_journal(world.race_a, "lost"))
    with pytest.raises(Exception, match="commit failed"):
        future.result(timeout=30)
    committer.close()
    with db.reading() as s:
        assert s.execute(select(func.count()).select_from(Change)).scalar_one() == 0


def test_a_unit_that_lost_a_deadlock_runs_again(db):
    world = build_races_world(db)
    committer = _committer(db)
    runs: list[int] = []

    class DeadlockDetected(Exception):
        sqlstate = "40P01"

    def unlucky(session):
        runs.append(1)
        if len(runs) < 3:
            raise DBAPIError("UPDATE ...", {}, DeadlockDetected("deadlock detected"))
        return _journal(world.race_a, "third time")(session)

    assert committer.submit(unlucky).result(timeout=30) == "third time"
    assert len(runs) == 3
    plain = committer.submit(lambda session: (_ for _ in ()).throw(Refused("no")))
    with pytest.raises(Refused):
        plain.result(timeout=30)
    committer.close()


def test_runners_of_separate_units_are_not_a_batch_but_one_units_are(db):
    """Two requests sharing a commit are two writes (no batch_id); one unit writing two
    runners is a batch, as any transaction of more than one runner is (decision 8)."""
    world = build_races_world(db)
    committer = _committer(db, writers=1)
    gate = threading.Event()

    def runners(*numbers: int):
        def work(session):
            for number in numbers:
                record(
                    session,
                    Entry(type=ChangeType.PARTICIPANT_CREATED, race_id=world.race_a, entity="{}"),
                )
            return numbers

        return work

    blocker = committer.submit(lambda session: gate.wait(10))
    futures = [committer.submit(runners(*numbers)) for numbers in ((1,), (2,), (3, 4))]
    gate.set()
    wait([blocker, *futures], timeout=30)
    committer.close()
    with db.reading() as s:
        batches = s.execute(select(Change.batch_id).order_by(Change.position)).scalars().all()
    assert batches[:2] == [None, None]
    assert batches[2] is not None and batches[2] == batches[3]


def test_orm_changes_of_a_failed_unit_are_dropped_and_the_others_kept(db):
    """A unit's ORM changes are flushed inside its savepoint: a failed unit's go with it,
    an earlier unit's survive a later unit's rollback."""
    from startline.domain.accounts.models import User

    committer = _committer(db, writers=1)
    gate = threading.Event()
    blocker = committer.submit(lambda session: gate.wait(10))

    def add(email: str, fail: bool):
        def work(session):
            session.add(User(email=email, password_hash="x", first_name="A", last_name="B"))
            if fail:
                raise Refused(email)
            return email

        return work

    futures = [
        committer.submit(add(f"{tag}@example.com", tag == "two")) for tag in ("one", "two", "three")
    ]
    gate.set()
    wait([blocker, *futures], timeout=30)
    assert [f.exception() is None for f in futures] == [True, False, True]
    committer.close()
    with db.reading() as s:
        emails = s.execute(select(User.email).order_by(User.email)).scalars().all()
    assert emails == ["one@example.com", "three@example.com"]

"""Group commit: small write units that arrive while a commit is in flight share the next
transaction, so one commit (one fsync with SQLite's synchronous=FULL, one WAL flush on
PostgreSQL) acknowledges many of them.

Writer threads run the units in arrival order, each inside a savepoint of its group's
transaction: a unit that raises is rolled back alone and fails alone, the others commit. The
savepoints are sent to the driver directly, not through SQLAlchemy's `begin_nested` (its
bookkeeping was a fifth of the writer's time on the single upsert), and on PostgreSQL a
unit's savepoint is not released (RELEASE is a round trip; the commit ends them all), so the
`unit_failed` hook is where the domain forgets what a failed unit recorded in the session. Every
unit's answer is released only after the commit that holds it; if the commit fails, every
unit of the group fails with that error and nothing of it was written. SQLite takes one writer
at a time anyway, so it gets one thread; PostgreSQL gets a few, so one group's round trips to
the server overlap another's commit."""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from startline.db.driver import driver_of
from startline.db.engine import Database

T = TypeVar("T")
# Writer threads (so connections) on PostgreSQL unless told: enough to overlap round trips
# and commits, few enough to keep groups large and not to fight the request threads for the
# GIL (on 2 cores, 1 and 2 writers did 15 % more than 4 and half the p99; 8 did worse).
POSTGRESQL_WRITERS = 2
# Units per transaction. On PostgreSQL each unit's savepoint that writes is a subtransaction
# with its own id, and a backend caches 64 of them (PGPROC_MAX_CACHED_SUBXIDS): past that,
# every other session's snapshot falls back to the pg_subtrans lookup.
MAX_GROUP = {"sqlite": 128, "postgresql": 64}
logger = logging.getLogger("startline.db.group_commit")


@dataclass
class _Unit(Generic[T]):
    work: Callable[[Session], T]
    retry_if: Callable[[BaseException], bool] | None
    attempts_left: int
    conflicts_left: int = 3
    future: Future[T] = field(default_factory=Future)


class GroupCommitter:
    """Runs write units for one Database on a writer thread, many per transaction."""

    def __init__(
        self,
        db: Database,
        *,
        max_group: int | None = None,
        writers: int | None = None,
        unit_started: Callable[[Session], object] | None = None,
        unit_failed: Callable[[Session, object], None] | None = None,
    ) -> None:
        """`unit_started(session)` runs before each unit: where the domain marks that a new
        logical write begins in the shared transaction (the journal judges batches per unit);
        what it returns is given to `unit_failed(session, mark)` when that unit is rolled
        back (the journal drops the unit's entries)."""
        self._db = db
        self._unit_started = unit_started
        self._unit_failed = unit_failed
        self._max_group = max_group or MAX_GROUP["sqlite" if db.is_sqlite else "postgresql"]
        # SQLite takes one writer at a time, whatever `writers` says.
        self._writers = 1 if db.is_sqlite else (writers or POSTGRESQL_WRITERS)
        self._queue: queue.SimpleQueue[_Unit[Any] | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._start_lock = threading.Lock()
        self._closed = False

    def submit(
        self,
        work: Callable[[Session], T],
        *,
        retry_if: Callable[[BaseException], bool] | None = None,
        attempts: int = 1,
    ) -> Future[T]:
        """Queue `work(session)`; its Future resolves after the commit that holds it. A unit
        that fails with an error `retry_if` accepts runs again in a later group, up to
        `attempts` runs in all."""
        if self._closed:
            raise RuntimeError("the group committer is closed")
        self._ensure_started()
        unit: _Unit[T] = _Unit(work=work, retry_if=retry_if, attempts_left=attempts)
        self._queue.put(unit)
        return unit.future

    async def run(
        self,
        work: Callable[[Session], T],
        *,
        retry_if: Callable[[BaseException], bool] | None = None,
        attempts: int = 1,
    ) -> T:
        """`submit` for async callers: awaits without holding a thread of the pool."""
        return await asyncio.wrap_future(self.submit(work, retry_if=retry_if, attempts=attempts))

    def close(self, timeout: float = 30.0) -> None:
        """Finish the queued units, then stop the writer thread."""
        self._closed = True
        for _ in self._threads:
            self._queue.put(None)  # one stop mark per writer
        for thread in self._threads:
            thread.join(timeout)

    def _ensure_started(self) -> None:
        if self._threads:
            return
        with self._start_lock:
            if not self._threads:
                for number in range(self._writers):
                    thread = threading.Thread(
                        target=self._loop, name=f"startline-writer-{number}", daemon=True
                    )
                    thread.start()
                    self._threads.append(thread)

    def _loop(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                return
            group: list[_Unit[Any]] = [first]
            while len(group) < self._max_group:
                try:
                    unit = self._queue.get_nowait()
                except queue.Empty:
                    break
                if unit is None:
                    stopping = True
                    break
                group.append(unit)
            try:
                self._run_group(group)
            except BaseException as exc:  # never let the writer thread die with units waiting
                logger.exception("group commit failed unexpectedly")
                for unit in group:
                    if not unit.future.done():
                        unit.future.set_exception(exc)

    def _run_group(self, group: list[_Unit[Any]]) -> None:
        done: list[tuple[_Unit[Any], Any, BaseException | None]] = []
        try:
            with self._db.transaction() as session:
                driver = driver_of(session)
                for number, unit in enumerate(group):
                    if not unit.future.set_running_or_notify_cancel():
                        continue
                    mark = None if self._unit_started is None else self._unit_started(session)
                    savepoint = f"startline_unit_{number}"
                    driver.execute(f"SAVEPOINT {savepoint}")
                    try:
                        result = unit.work(session)
                        if session.new or session.dirty or session.deleted:
                            session.flush()  # the unit's ORM changes belong in its savepoint
                    except Exception as exc:  # this unit's refusal: only it is rolled back
                        driver.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
                        # Objects it loaded or changed may now be ahead of the database.
                        session.expunge_all()
                        if self._unit_failed is not None:
                            self._unit_failed(session, mark)
                        done.append((unit, None, exc))
                    else:
                        if driver.is_sqlite:  # in process, and keeps SQLite's stack short
                            driver.execute(f"RELEASE SAVEPOINT {savepoint}")
                        done.append((unit, result, None))
        except Exception as exc:  # the transaction or its commit failed: nothing was written
            # Every unit not answered yet fails (or runs again): those that ran, the one that
            # was running, and those the failure came before.
            for unit in group:
                if not unit.future.done() and not self._retry_conflict(unit, exc):
                    unit.future.set_exception(exc)
            return
        for unit, result, error in done:
            if error is None:
                unit.future.set_result(result)
            elif self._retry_conflict(unit, error):
                pass
            elif unit.retry_if is not None and unit.attempts_left > 1 and unit.retry_if(error):
                # Judged again in a later transaction (e.g. another process got there first).
                unit.attempts_left -= 1
                self._requeue(unit)
            else:
                unit.future.set_exception(error)

    def _retry_conflict(self, unit: _Unit[Any], error: BaseException) -> bool:
        """Two transactions on PostgreSQL locked rows in opposite orders (groups hold many
        rows) and the server broke the deadlock with this unit's statement: the request itself
        was fine, so it runs again in a later group (a few times at most)."""
        if not _is_conflict(error) or unit.conflicts_left <= 0:
            return False
        unit.conflicts_left -= 1
        self._requeue(unit)
        return True

    def _requeue(self, unit: _Unit[Any]) -> None:
        unit.future = _relay(unit.future)
        self._queue.put(unit)


# PostgreSQL's deadlock_detected and serialization_failure: the transaction lost a race, not
# the argument; running the unit again is the documented answer.
_CONFLICT_SQLSTATES = frozenset({"40P01", "40001"})


def _is_conflict(error: BaseException) -> bool:
    original = error.orig if isinstance(error, DBAPIError) else error
    return getattr(original, "sqlstate", None) in _CONFLICT_SQLSTATES


def _relay(outer: Future[T]) -> Future[T]:
    """A fresh future for a retried unit whose outcome settles the caller's future."""
    inner: Future[T] = Future()

    def settle(source: Future[T]) -> None:
        error = source.exception()
        if error is not None:
            outer.set_exception(error)
        else:
            outer.set_result(source.result())

    inner.add_done_callback(settle)
    return inner

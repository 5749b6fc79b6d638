"""Writing the change journal: services record what they changed in their session, and the
entries get their positions and are written just before the transaction commits.

Positions only grow, in commit order, on both databases: SQLite has one writer at a time and
numbers the rows itself (AUTOINCREMENT, never reused); on PostgreSQL every writing
transaction takes the `journal_state` row lock as its last step and holds it through its
commit, so a transaction that got a lower position is visible before one with a higher
position (a reader that has seen P never later finds a new entry below P)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session, SessionTransaction

from startline.db.base import UTCDateTime, utcnow
from startline.db.driver import Driver, driver_of
from startline.domain.changes.types import RUNNER_SNAPSHOT_FIELDS, RUNNER_TYPES, ChangeType

_PENDING = "startline.journal"  # key in Session.info


@dataclass(frozen=True, slots=True)
class Entry:
    """One change: what happened, to which ids, and the entity as it is after it."""

    type: ChangeType
    race_id: int
    edition_id: int | None = None
    event_id: int | None = None
    participant_id: int | None = None
    entity: str | None = None  # JSON text
    occurred_at: datetime | None = None  # defaults to the time of writing


@dataclass(frozen=True, slots=True)
class RunnerRows:
    """Every runner of `edition_id` written by this transaction with `updated_at == stamp`
    (a batch's rows), journaled straight from the table by one INSERT ... SELECT, each with
    the type its row's `last_change` says."""

    race_id: int
    edition_id: int
    stamp: datetime


class _UnitStart:
    """Where one logical write begins inside a shared transaction (group commit)."""


_UNIT_START = _UnitStart()
Pending = list[Entry | RunnerRows | _UnitStart]


def start_unit(session: Session) -> int:
    """A new logical write begins in this transaction (a unit of the group committer): what it
    records is judged on its own (more than one runner in it is a batch; one runner is not,
    however many units share the commit). Returns the mark `discard_unit` takes."""
    pending = session.info.get(_PENDING)
    if pending:
        pending.append(_UNIT_START)
        return len(pending)
    return 0


def discard_unit(session: Session, mark: object) -> None:
    """The unit begun at `mark` was rolled back (its savepoint, sent at the driver): what it
    recorded is forgotten."""
    pending = session.info.get(_PENDING)
    if pending is not None and isinstance(mark, int):
        del pending[mark:]


def record(session: Session, entry: Entry) -> None:
    """Journal `entry` when this session's transaction commits (nothing if it rolls back)."""
    session.info.setdefault(_PENDING, []).append(entry)


def record_runner_rows(session: Session, rows: RunnerRows) -> None:
    session.info.setdefault(_PENDING, []).append(rows)


# --- snapshots ---------------------------------------------------------------------------


def iso_timestamp(value: datetime) -> str:
    """The journal's timestamp form: `YYYY-MM-DDTHH:MM:SS.ffffffZ` in UTC."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def runner_snapshot(
    *,
    unique_id: str,
    start_number: str | None,
    chip_code: str | None,
    first_name: str,
    last_name: str,
    date_of_birth: date | None,
    gender: str | None,
    country_code: str | None,
    team_name: str | None,
    state: str,
    created_at: datetime,
    updated_at: datetime,
) -> str:
    """A runner's snapshot as the batch SQL writes it (see RUNNER_SNAPSHOT_FIELDS)."""
    return json.dumps(
        [
            unique_id,
            start_number,
            chip_code,
            first_name,
            last_name,
            None if date_of_birth is None else date_of_birth.isoformat(),
            gender,
            country_code,
            team_name,
            state,
            iso_timestamp(created_at),
            iso_timestamp(updated_at),
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def object_snapshot(fields: Mapping[str, Any]) -> str:
    """A race, edition or event snapshot: a JSON object of its stored fields."""
    return json.dumps(dict(fields), default=_json_value, ensure_ascii=False, separators=(",", ":"))


def _json_value(value: object) -> object:
    if isinstance(value, datetime):
        # Event times are local wall-clock times (naive); stored timestamps are UTC.
        return value.isoformat() if value.tzinfo is None else iso_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


# --- writing at commit ---------------------------------------------------------------------

_SQLITE_RUNNER_SNAPSHOT = (
    "json_array(p.unique_id, p.start_number, p.chip_code, p.first_name, p.last_name, "
    "p.date_of_birth, p.gender, p.country_code, p.team_name, p.state, "
    "replace(p.created_at, ' ', 'T') || 'Z', replace(p.updated_at, ' ', 'T') || 'Z')"
)
_PG_STAMP = "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
_PG_RUNNER_SNAPSHOT = (
    "json_build_array(p.unique_id, p.start_number, p.chip_code, p.first_name, p.last_name, "
    "to_char(p.date_of_birth, 'YYYY-MM-DD'), p.gender, p.country_code, p.team_name, p.state, "
    f"{_PG_STAMP.format('p.created_at')}, {_PG_STAMP.format('p.updated_at')})::text"
)
assert len(RUNNER_SNAPSHOT_FIELDS) == 12  # the two SQL forms above list twelve

_INSERT_COLUMNS = (
    "type, occurred_at, race_id, edition_id, event_id, participant_id, batch_id, entity"
)


def _runner_rows_sql(dialect: str) -> Any:
    if dialect == "sqlite":
        sql = (
            f"INSERT INTO changes ({_INSERT_COLUMNS}) "  # noqa: S608 (fixed names)
            "SELECT 'participant.' || p.last_change, :stamp, :race_id, p.edition_id, "
            f"p.event_id, p.id, :batch_id, {_SQLITE_RUNNER_SNAPSHOT} FROM participants p "
            "WHERE p.edition_id = :edition_id AND p.updated_at = :stamp"
        )
    else:
        sql = (
            f"INSERT INTO changes (position, {_INSERT_COLUMNS}) "  # noqa: S608 (fixed names)
            "SELECT :base + row_number() OVER (), 'participant.' || p.last_change, :stamp, "
            f":race_id, p.edition_id, p.event_id, p.id, :batch_id, {_PG_RUNNER_SNAPSHOT} "
            "FROM participants p WHERE p.edition_id = :edition_id AND p.updated_at = :stamp"
        )
    return text(sql).bindparams(bindparam("stamp", type_=UTCDateTime()))


_SINGLE_COLUMNS = (
    "type",
    "occurred_at",
    "race_id",
    "edition_id",
    "event_id",
    "participant_id",
    "batch_id",
    "entity",
)


@lru_cache(maxsize=4)
def _insert_singles_sql(mark: str, explicit: bool) -> str:
    columns = (("position",) if explicit else ()) + _SINGLE_COLUMNS
    return (
        f"INSERT INTO changes ({', '.join(columns)}) "  # noqa: S608 (fixed names)
        f"VALUES ({', '.join([mark] * len(columns))})"
    )


@lru_cache(maxsize=4)
def _stamp_processor(dialect: Dialect) -> Callable[[Any], Any]:
    """SQLAlchemy's own conversion of a stored timestamp for this dialect's driver."""
    process = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    return process or (lambda value: value)


def _write_pending(session: Session) -> None:
    pending: Pending | None = session.info.pop(_PENDING, None)
    if not pending:
        return
    driver = driver_of(session)
    if driver.is_sqlite:
        _write_sqlite(session, driver, pending)
    else:
        _write_postgresql(session, driver, pending)


def _units(pending: Pending) -> Iterator[list[Entry | RunnerRows]]:
    """The pending entries split where a unit of a shared transaction began."""
    unit: list[Entry | RunnerRows] = []
    for item in pending:
        if isinstance(item, _UnitStart):
            if unit:
                yield unit
            unit = []
        else:
            unit.append(item)
    if unit:
        yield unit


def _runner_entry_count(unit: list[Entry | RunnerRows]) -> int:
    """Runner entries among the singles (a RunnerRows counts as many: at least two)."""
    count = 0
    for item in unit:
        if isinstance(item, RunnerRows):
            count += 2
        elif item.type in RUNNER_TYPES:
            count += 1
    return count


class _Positions:
    """Hands out positions in order; single entries are sent at the driver in one
    executemany per run of them (a group commit's entries: one statement, not one per
    request)."""

    def __init__(self, driver: Driver, head: int) -> None:
        self.driver = driver
        self.last = head  # the last position handed out
        self.explicit = not driver.is_sqlite  # PostgreSQL: positions written; SQLite: AUTOINCREMENT
        self.stamp = _stamp_processor(driver.dialect)
        self.singles: list[tuple[Any, ...]] = []

    def single(self, entry: Entry, batch_id: int | None, now: datetime) -> None:
        self.last += 1
        values = (
            entry.type.value,
            self.stamp(entry.occurred_at or now),
            entry.race_id,
            entry.edition_id,
            entry.event_id,
            entry.participant_id,
            batch_id if entry.type in RUNNER_TYPES else None,
            entry.entity,
        )
        self.singles.append((self.last, *values) if self.explicit else values)

    def flush(self) -> None:
        if self.singles:
            statement = _insert_singles_sql(self.driver.mark, self.explicit)
            self.driver.executemany(statement, self.singles)
            self.singles = []


def _write_units(session: Session, pending: Pending, positions: _Positions) -> None:
    driver = positions.driver
    now = utcnow()
    for unit in _units(pending):
        batched = _runner_entry_count(unit) > 1
        batch_id: int | None = None
        runners = 0
        for item in unit:
            if isinstance(item, RunnerRows):
                if batched and batch_id is None:
                    batch_id = positions.last + 1
                positions.flush()
                parameters = {
                    "stamp": item.stamp,
                    "race_id": item.race_id,
                    "edition_id": item.edition_id,
                    "batch_id": batch_id,
                }
                if positions.explicit:
                    parameters["base"] = positions.last
                result = session.connection().execute(
                    _runner_rows_sql(driver.dialect.name), parameters
                )
                runners += result.rowcount
                positions.last += result.rowcount
                continue
            if item.type in RUNNER_TYPES:
                if batched and batch_id is None:
                    batch_id = positions.last + 1
                runners += 1
            positions.single(item, batch_id, now)
        if batch_id is not None and runners < 2:
            # A RunnerRows that matched fewer rows than assumed: one runner is not a batch.
            positions.flush()
            driver.execute(
                f"UPDATE changes SET batch_id = NULL WHERE batch_id = {driver.mark}",  # noqa: S608
                (batch_id,),
            )
    positions.flush()


def _write_sqlite(session: Session, driver: Driver, pending: Pending) -> None:
    # Writers are serialized (BEGIN IMMEDIATE), so the next position is the sequence + 1.
    found = driver.execute("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").fetchone()
    _write_units(session, pending, _Positions(driver, found[0] if found else 0))


# Singles only (a group commit of race-day upserts): the head moved and the entries written
# in one statement, so the head row is locked for one round trip and the commit, not four;
# every transaction queues on that lock (bench, issue 15).
_SINGLES_AT_HEAD = (
    "WITH head AS (UPDATE journal_state SET head = head + %s WHERE id = 1 "  # noqa: S608
    "RETURNING head - %s AS base) "
    f"INSERT INTO changes (position, {', '.join(_SINGLE_COLUMNS)}) "
    "SELECT head.base + u.n, u.type, u.occurred_at, u.race_id, u.edition_id, u.event_id, "
    "u.participant_id, u.batch_id, u.entity FROM head, unnest(%s::text[], "
    "%s::timestamptz[], %s::integer[], %s::integer[], %s::integer[], %s::integer[], "
    "%s::bigint[], %s::text[]) WITH ORDINALITY "
    "AS u(type, occurred_at, race_id, edition_id, event_id, participant_id, batch_id, entity, n)"
)


def _singles_only(pending: Pending) -> list[Entry] | None:
    """The entries when no unit of `pending` is a batch (then no entry needs to know its
    position before it is written), else None."""
    entries: list[Entry] = []
    runners = 0  # runner entries of the current unit
    for item in pending:
        if isinstance(item, _UnitStart):
            runners = 0
        elif isinstance(item, RunnerRows):
            return None
        else:
            if item.type in RUNNER_TYPES:
                runners += 1
                if runners > 1:
                    return None
            entries.append(item)
    return entries


def _write_singles_at_head(driver: Driver, entries: list[Entry]) -> bool:
    """False when the head row is missing (nothing written)."""
    stamp = _stamp_processor(driver.dialect)
    now = utcnow()
    columns: list[list[Any]] = [[] for _ in _SINGLE_COLUMNS]
    for entry in entries:
        for column, value in zip(
            columns,
            (
                entry.type.value,
                stamp(entry.occurred_at or now),
                entry.race_id,
                entry.edition_id,
                entry.event_id,
                entry.participant_id,
                None,  # not a batch (_singles_only)
                entry.entity,
            ),
            strict=True,
        ):
            column.append(value)
    count = len(entries)
    written = driver.execute(_SINGLES_AT_HEAD, (count, count, *columns))
    return bool(written.rowcount == count)


def _write_postgresql(session: Session, driver: Driver, pending: Pending) -> None:
    singles = _singles_only(pending)
    if singles is not None and (not singles or _write_singles_at_head(driver, singles)):
        return
    head = _lock_head(driver)
    positions = _Positions(driver, head)
    _write_units(session, pending, positions)
    if positions.last != head:
        driver.execute("UPDATE journal_state SET head = %s WHERE id = 1", (positions.last,))


_HEAD = "SELECT head FROM journal_state WHERE id = 1 FOR UPDATE"


def _lock_head(driver: Driver) -> int:
    """The last position handed out, with the row locked until this transaction ends."""
    found = driver.execute(_HEAD).fetchone()
    if found is not None:
        return int(found[0])
    # The state row is made by the migration; recreate it if someone removed it.
    driver.execute(
        "INSERT INTO journal_state (id, head, epoch, pruned_through) "
        "SELECT 1, coalesce(max(position), 0), %s, 0 FROM changes ON CONFLICT (id) DO NOTHING",
        (secrets.token_hex(8),),
    )
    return int(driver.execute(_HEAD).fetchone()[0])


@event.listens_for(Session, "before_commit")
def _journal_before_commit(session: Session) -> None:
    if _PENDING in session.info:
        _write_pending(session)


@event.listens_for(Session, "after_rollback")
def _journal_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


# A savepoint rolled back takes its entries with it (group commit runs each unit in one).
_MARKS = "startline.journal.savepoints"


@event.listens_for(Session, "after_transaction_create")
def _journal_mark_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        marks = session.info.setdefault(_MARKS, {})
        marks[id(transaction)] = len(session.info.get(_PENDING, ()))


@event.listens_for(Session, "after_soft_rollback")
def _journal_savepoint_rolled_back(session: Session, previous: SessionTransaction) -> None:
    if not previous.nested:
        return
    mark = session.info.get(_MARKS, {}).pop(id(previous), None)
    pending = session.info.get(_PENDING)
    if mark is not None and pending is not None:
        del pending[mark:]


@event.listens_for(Session, "after_transaction_end")
def _journal_forget_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        session.info.get(_MARKS, {}).pop(id(transaction), None)

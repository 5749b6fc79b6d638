"""Runner writes at the driver level: the measured hot paths (a race day's single upserts, a
start list's batch), with no per-row ORM or SQLAlchemy type work.

SQLite: multi-row `INSERT ... VALUES (...), (...) ON CONFLICT DO UPDATE` (three times faster
than executemany of a one-row statement, measured). PostgreSQL: the rows are sent by binary
COPY into a temporary table, then one `INSERT ... SELECT ... ON CONFLICT DO UPDATE` per group
(COPY is the driver's fast path; unnest() arrays were built in Python by psycopg, and thousands
of placeholders cost seconds to parse).

An update only happens when a field it sets differs from the stored value (`WHERE ... IS
DISTINCT FROM`), so a re-sent runner moves neither `updated_at` nor the journal, and the
statement's row count is the number of runners created or really changed. Every statement
text is built from fixed column names; values are always parameters."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from itertools import chain
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect

from startline.db.driver import Driver
from startline.domain.participants.models import Participant
from startline.domain.participants.rows import (
    FIELDS,
    ROW_CHIP_CODE,
    ROW_DATE_OF_BIRTH,
    ROW_EVENT,
    ROW_SEARCH_TEXT,
    ROW_SETS,
    ROW_START_NUMBER,
    ROW_STATE,
    ROW_UNIQUE_ID,
    Row,
)
from startline.domain.participants.vocabulary import DEFAULT_STATE

TABLE = "participants"
# Written once per statement (the same for every row of a write), then per row.
SHARED_COLUMNS = ("edition_id", "created_at", "updated_at", "origin")
ROW_COLUMNS = (*FIELDS, "search_text")
_NAMES = frozenset({"first_name", "last_name"})

# Bound parameters per SQLite statement: 32766 since SQLite 3.32, 999 before.
_SQLITE_MAX_PARAMS = 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999
_MAX_ROWS = 2000
SQLITE_ROWS_PER_STATEMENT = max(
    1, min(_MAX_ROWS, (_SQLITE_MAX_PARAMS - len(SHARED_COLUMNS)) // len(ROW_COLUMNS))
)

# PostgreSQL element types of the unnest() arrays, in ROW_COLUMNS order.
_PG_TYPES = dict(
    event_id="integer",
    date_of_birth="date",
)

# What a single upsert reads back: the row as stored after it.
RETURNED = (
    "id",
    *FIELDS,
    "created_at",
    "updated_at",
    "last_change",
    "origin",
)


def _distinct(is_sqlite: bool) -> str:
    return "IS NOT" if is_sqlite else "IS DISTINCT FROM"


@lru_cache(maxsize=256)
def on_conflict(sets: tuple[str, ...], is_sqlite: bool) -> str:
    """The update half of an upsert setting `sets`, only when one of them differs. The
    unique_id is the conflict's own key, so it is equal already: setting it would only make
    SQLite rewrite its index entry."""
    sets = tuple(name for name in sets if name != "unique_id")
    assignments = [f"{name} = excluded.{name}" for name in sets]
    if _NAMES & set(sets):
        assignments.append("search_text = excluded.search_text")
    moved = (
        f"CASE WHEN {TABLE}.event_id <> excluded.event_id THEN 'moved' ELSE 'updated' END"
        if "event_id" in sets
        else "'updated'"
    )
    assignments += ["updated_at = excluded.updated_at", f"last_change = {moved}"]
    differs = " OR ".join(f"{TABLE}.{name} {_distinct(is_sqlite)} excluded.{name}" for name in sets)
    return f"ON CONFLICT (edition_id, unique_id) DO UPDATE SET {', '.join(assignments)}" + (
        f" WHERE {differs}" if differs else " WHERE false"
    )


# --- one runner ----------------------------------------------------------------------------


@lru_cache(maxsize=256)
def single_upsert_sql(sets: tuple[str, ...], is_sqlite: bool) -> str:
    mark = "?" if is_sqlite else "%s"
    columns = (*SHARED_COLUMNS, *ROW_COLUMNS, "last_change")
    values = ", ".join([mark] * (len(columns) - 1) + ["'created'"])
    return (
        f"INSERT INTO {TABLE} ({', '.join(columns)}) VALUES ({values}) "  # noqa: S608
        f"{on_conflict(sets, is_sqlite)} RETURNING {', '.join(RETURNED)}"
    )


@lru_cache(maxsize=2)
def _read_one_sql(is_sqlite: bool) -> str:
    mark = "?" if is_sqlite else "%s"
    return (
        f"SELECT {', '.join(RETURNED)} FROM {TABLE} "  # noqa: S608 (fixed names)
        f"WHERE edition_id = {mark} AND unique_id = {mark}"
    )


@lru_cache(maxsize=8)
def _converters(dialect: Dialect) -> tuple[Callable[[Any], Any], Callable[[Any], Any], Any]:
    """SQLAlchemy's own conversions for this dialect: timestamp and date in, timestamp out."""
    table = Participant.__table__

    def bind(column: str) -> Callable[[Any], Any]:
        process = table.c[column].type.dialect_impl(dialect).bind_processor(dialect)
        return process or (lambda value: value)

    stamp_out = table.c.created_at.type.dialect_impl(dialect).result_processor(dialect, None)
    return bind("created_at"), bind("date_of_birth"), stamp_out


def write_one(
    driver: Driver, *, edition_id: int, origin: str, row: Row, now: datetime
) -> tuple[dict[str, Any], bool]:
    """Upsert one row; (the runner as stored, whether this write changed it). Sent at the
    driver (db/driver.py): its errors are the driver's."""
    is_sqlite = driver.is_sqlite
    stamp_in, day, stamp_out = _converters(driver.dialect)
    stamp = stamp_in(now)
    params = (
        edition_id,
        stamp,
        stamp,
        origin,
        *row[:ROW_DATE_OF_BIRTH],
        None if row[ROW_DATE_OF_BIRTH] is None else day(row[ROW_DATE_OF_BIRTH]),
        *row[ROW_DATE_OF_BIRTH + 1 : ROW_STATE],
        row[ROW_STATE] or DEFAULT_STATE,
        row[ROW_SEARCH_TEXT],
    )
    returned = driver.execute(single_upsert_sql(row[ROW_SETS], is_sqlite), params).fetchone()
    changed = returned is not None
    if returned is None:  # nothing differed: the stored runner is the answer
        returned = driver.execute(
            _read_one_sql(is_sqlite), (edition_id, row[ROW_UNIQUE_ID])
        ).fetchone()
    stored = dict(zip(RETURNED, returned, strict=True))
    if stamp_out is not None:
        stored["created_at"] = stamp_out(stored["created_at"])
        stored["updated_at"] = stamp_out(stored["updated_at"])
    if is_sqlite and stored["date_of_birth"] is not None:
        stored["date_of_birth"] = date.fromisoformat(stored["date_of_birth"])
    return stored, changed


# --- many runners --------------------------------------------------------------------------


def _sqlite_batch_sql(sets: tuple[str, ...], rows: int, with_ids: bool) -> str:
    # ?1..?3 (edition, stamp, origin) are shared by every row, so each bare "?" after them
    # numbers on from 4: 12 parameters a row, not 16.
    columns = (*SHARED_COLUMNS, *ROW_COLUMNS, "last_change", *(("id",) if with_ids else ()))
    marks = ["?"] * len(ROW_COLUMNS) + ["'created'"] + (["?"] if with_ids else [])
    one_row = f"(?1, ?2, ?2, ?3, {', '.join(marks)})"
    conflict = "" if with_ids else " " + on_conflict(sets, True)
    return (
        f"INSERT INTO {TABLE} ({', '.join(columns)}) "  # noqa: S608 (fixed names)
        f"VALUES {', '.join([one_row] * rows)}{conflict}"
    )


# PostgreSQL: a batch's rows are sent with COPY (binary) into a temporary table of the
# connection, then upserted from it; psycopg built the unnest() arrays in Python, half of a
# 50,000-runner batch (measured). Created once per connection, emptied at every commit.
_PG_STAGE = "startline_staged_rows"
_PG_STAGE_COLUMNS = (*ROW_COLUMNS, "id", "grp", "seq")
_PG_STAGE_TYPES = tuple(
    {"integer": "int4", "date": "date", "text": "text"}[_PG_TYPES.get(name, "text")]
    for name in ROW_COLUMNS
) + ("int4", "int4", "int4")
_PG_STAGE_TABLE = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {_PG_STAGE} ("
    + ", ".join(f"{name} {_PG_TYPES.get(name, 'text')}" for name in ROW_COLUMNS)
    + ", id integer, grp integer NOT NULL, seq integer NOT NULL) ON COMMIT DELETE ROWS"
)


@lru_cache(maxsize=256)
def postgres_batch_sql(sets: tuple[str, ...], with_ids: bool) -> str:
    """The upsert of one group of staged rows (`grp`), in the order they were sent."""
    row_columns = ROW_COLUMNS + (("id",) if with_ids else ())
    columns = (*SHARED_COLUMNS, "last_change", *row_columns)
    conflict = "" if with_ids else " " + on_conflict(sets, False)
    return (
        f"INSERT INTO {TABLE} ({', '.join(columns)}) "  # noqa: S608 (fixed names)
        f"SELECT %s, %s, %s, %s, 'created', {', '.join(row_columns)} FROM {_PG_STAGE} "
        f"WHERE grp = %s ORDER BY seq{conflict}"
    )


def _write_postgresql(
    connection: Connection,
    groups: Mapping[tuple[tuple[str, ...], bool], list[tuple[Any, ...]]],
    shared: tuple[Any, ...],
) -> int:
    driver: Any = connection.connection.driver_connection
    changed = 0
    with driver.cursor() as cursor:
        cursor.execute(_PG_STAGE_TABLE, prepare=False)
        cursor.execute(
            f"TRUNCATE {_PG_STAGE}", prepare=False
        )  # an earlier write of this transaction
        columns = ", ".join(_PG_STAGE_COLUMNS)
        with cursor.copy(f"COPY {_PG_STAGE} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(_PG_STAGE_TYPES)
            for grp, ((_, with_ids), group) in enumerate(groups.items()):
                if with_ids:
                    for seq, values in enumerate(group):
                        copy.write_row((*values, grp, seq))
                else:
                    for seq, values in enumerate(group):
                        copy.write_row((*values, None, grp, seq))
        for grp, (sets, with_ids) in enumerate(groups):
            cursor.execute(postgres_batch_sql(sets, with_ids), (*shared, grp), prepare=False)
            changed += cursor.rowcount
    return changed


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def write_rows(
    connection: Connection,
    *,
    edition_id: int,
    origin: str,
    rows: Sequence[Row],
    now: datetime,
    new_ids: Mapping[str, int] | None = None,
    existing: Mapping[str, tuple[int, int, str | None, str | None]] | None = None,
) -> int:
    """Upsert every row; returns how many runners were created or changed. Rows whose
    unique_id is in `new_ids` are new runners inserted with that id (no upsert). With
    `existing` (unique_id -> (id, event, bib, chip) as stored), a row does not set the event,
    bib or chip its runner already has: SQLite rewrites the index entries (and checks the
    foreign key) of every column an UPDATE sets, whatever the value, and a start list sent
    again mostly changes a state (halves the update, measured)."""
    is_sqlite = connection.dialect.name == "sqlite"
    stamp_in, day, _ = _converters(connection.dialect)
    stamp = stamp_in(now)
    # Dates repeat across runners: convert each distinct one once.
    days: dict[date | None, Any] = {None: None}
    groups: dict[tuple[tuple[str, ...], bool], list[tuple[Any, ...]]] = {}
    for row in rows:
        born = row[ROW_DATE_OF_BIRTH]
        stored = days.get(born)
        if stored is None and born is not None:
            stored = days[born] = day(born)
        new_id = new_ids.get(row[ROW_UNIQUE_ID]) if new_ids else None
        values = (
            *row[:ROW_DATE_OF_BIRTH],
            stored,
            *row[ROW_DATE_OF_BIRTH + 1 : ROW_STATE],
            row[ROW_STATE] or DEFAULT_STATE,
            row[ROW_SEARCH_TEXT],
        )
        if new_id is not None:
            values = (*values, new_id)
        sets = row[ROW_SETS]
        held = existing.get(row[ROW_UNIQUE_ID]) if existing else None
        if held is not None:
            sets = _without_kept(
                sets,
                held[1] == row[ROW_EVENT],
                held[2] == row[ROW_START_NUMBER],
                held[3] == row[ROW_CHIP_CODE],
            )
        groups.setdefault((sets, new_id is not None), []).append(values)
    if not is_sqlite:
        return _write_postgresql(connection, groups, (edition_id, stamp, stamp, origin))
    changed = 0
    for (sets, with_ids), group in groups.items():
        statements: dict[int, str] = {}
        for chunk in _chunks(group, SQLITE_ROWS_PER_STATEMENT):
            sql = statements.get(len(chunk))
            if sql is None:
                sql = statements[len(chunk)] = _sqlite_batch_sql(sets, len(chunk), with_ids)
            result = connection.exec_driver_sql(
                sql, (edition_id, stamp, origin, *chain.from_iterable(chunk))
            )
            changed += result.rowcount
    return changed


@lru_cache(maxsize=1024)
def _without_kept(
    sets: tuple[str, ...], same_event: bool, same_bib: bool, same_chip: bool
) -> tuple[str, ...]:
    """`sets` less the indexed fields whose stored value the row repeats."""
    kept = {
        name
        for name, same in (
            ("event_id", same_event),
            ("start_number", same_bib),
            ("chip_code", same_chip),
        )
        if same
    }
    return tuple(name for name in sets if name not in kept) if kept else sets


def park_values(connection: Connection, *, bibs_of: Sequence[int], chips_of: Sequence[int]) -> None:
    """Give these runners a unique placeholder bib (`bibs_of`) or chip (`chips_of`): "~" + id,
    never a real value, overwritten by the write that follows in the same transaction.
    SQLite checks unique indexes row by row, so a swap written directly would clash
    half-way (PostgreSQL needs it too: its unique checks are not deferred). updated_at is
    left alone: the write that follows decides whether the runner changed."""
    for column, ids in (("start_number", bibs_of), ("chip_code", chips_of)):
        if not ids:
            continue
        parked = f"UPDATE {TABLE} SET {column} = '~' || id "  # noqa: S608 (fixed names)
        if connection.dialect.name != "sqlite":
            connection.exec_driver_sql(parked + "WHERE id = ANY(%s)", (list(ids),))
            continue
        for chunk in _chunks(ids, _MAX_ROWS):
            connection.exec_driver_sql(
                parked + f"WHERE id IN ({', '.join('?' * len(chunk))})", tuple(chunk)
            )


_SQLITE_LAST_ID = (
    "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'participants'), 0), "
    "coalesce((SELECT max(id) FROM participants), 0))"
)


def allocate_ids(connection: Connection, count: int) -> list[int]:
    """`count` new runner ids, never used before (for runners whose unique_id is derived
    from their id). The caller holds the edition's write lock."""
    if count <= 0:
        return []
    if connection.dialect.name == "sqlite":
        # One writer at a time: the next ids are the AUTOINCREMENT sequence's next.
        last = connection.exec_driver_sql(_SQLITE_LAST_ID).scalar_one()
        return list(range(last + 1, last + 1 + count))
    rows = connection.exec_driver_sql(
        f"SELECT nextval(pg_get_serial_sequence('{TABLE}', 'id')) "  # noqa: S608 (fixed)
        "FROM generate_series(1, %s)",
        (count,),
    ).scalars()
    return list(rows)


def moving_ids(
    existing: Mapping[str, tuple[int, int, str | None, str | None]], rows: Sequence[Row]
) -> tuple[list[int], list[int]]:
    """Existing runners whose bib, and those whose chip, these rows change."""
    bibs: list[int] = []
    chips: list[int] = []
    for row in rows:
        held = existing.get(row[ROW_UNIQUE_ID])
        if held is None:
            continue
        sets = row[ROW_SETS]
        if held[2] is not None and "start_number" in sets and held[2] != row[ROW_START_NUMBER]:
            bibs.append(held[0])
        if held[3] is not None and "chip_code" in sets and held[3] != row[ROW_CHIP_CODE]:
            chips.append(held[0])
    return bibs, chips

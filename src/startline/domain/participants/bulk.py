"""The set-based write of a participant batch at the driver level, with no per-row ORM or
type-processing work in SQLAlchemy: on SQLite, multi-row `INSERT ... VALUES (...), (...) ON
CONFLICT DO UPDATE` statements (three times faster than executemany of a one-row statement,
measured); on PostgreSQL, one `INSERT ... SELECT FROM unnest(<column arrays>) ON CONFLICT DO
UPDATE` (14 parameters whatever the row count; psycopg's client-side parsing of thousands of
placeholders cost seconds)."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from itertools import chain
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from startline.domain.participants.models import Participant

if TYPE_CHECKING:
    from startline.domain.participants.service import ParticipantChange

_table = Participant.__table__
INSERT_COLUMNS = (
    "edition_id",
    "event_id",
    "unique_id",
    "start_number",
    "chip_code",
    "first_name",
    "last_name",
    "date_of_birth",
    "country_code",
    "team_name",
    "gender",
    "state",
    "created_at",
    "updated_at",
)
# Always overwritten on update; the optional fields only when the item sent them.
ALWAYS_SET = (
    "event_id",
    "start_number",
    "chip_code",
    "first_name",
    "last_name",
    "date_of_birth",
    "updated_at",
)
DEFAULT_STATE = "before"
# Bound parameters per SQLite statement: 32766 since SQLite 3.32, 999 before.
_SQLITE_MAX_PARAMS = 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999
_MAX_ROWS = 2000


# PostgreSQL element types of the unnest() arrays, in INSERT_COLUMNS order.
_PG_ARRAY_TYPES = (
    "integer",
    "integer",
    "text",
    "text",
    "text",
    "text",
    "text",
    "date",
    "text",
    "text",
    "text",
    "text",
    "timestamptz",
    "timestamptz",
)


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _on_conflict(updated_fields: Sequence[str]) -> str:
    sets = ", ".join(f"{name} = excluded.{name}" for name in (*ALWAYS_SET, *updated_fields))
    return f"ON CONFLICT (edition_id, unique_id) DO UPDATE SET {sets}"


def postgres_upsert_sql(updated_fields: Sequence[str]) -> str:
    arrays = ", ".join(f"%s::{kind}[]" for kind in _PG_ARRAY_TYPES)
    return (
        f"INSERT INTO {_table.name} ({', '.join(INSERT_COLUMNS)}) "  # noqa: S608 (fixed names)
        f"SELECT * FROM unnest({arrays}) {_on_conflict(updated_fields)}"
    )


# What a single upsert reads back: the values the row may keep from before (its id, when it
# was created, the optional fields not sent).
RETURNED_COLUMNS = ("id", "created_at", "country_code", "team_name", "gender", "state")


@lru_cache(maxsize=64)
def single_upsert_sql(is_sqlite: bool, updated_fields: tuple[str, ...]) -> str:
    """One row, with RETURNING of RETURNED_COLUMNS (the statement text is cached)."""
    mark = "?" if is_sqlite else "%s"
    values = "(" + ", ".join([mark] * len(INSERT_COLUMNS)) + ")"
    return (
        f"INSERT INTO {_table.name} ({', '.join(INSERT_COLUMNS)}) "  # noqa: S608 (fixed names)
        f"VALUES {values} {_on_conflict(updated_fields)} "
        f"RETURNING {', '.join(RETURNED_COLUMNS)}"
    )


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@lru_cache(maxsize=8)
def _converters(dialect: Dialect) -> tuple[Callable[[Any], Any], Callable[[Any], Any], Any]:
    """SQLAlchemy's own conversions for this dialect: timestamp and date in, timestamp out."""

    def bind(column: str) -> Callable[[Any], Any]:
        process = _table.c[column].type.dialect_impl(dialect).bind_processor(dialect)
        return process or (lambda value: value)

    stamp_out = _table.c.created_at.type.dialect_impl(dialect).result_processor(dialect, None)
    return bind("created_at"), bind("date_of_birth"), stamp_out


def _row_values(
    change: ParticipantChange, edition_id: int, stamp: Any, day: Callable[[date], Any]
) -> tuple[Any, ...]:
    """A change as the values of INSERT_COLUMNS, in order."""
    optional = change.optional
    return (
        edition_id,
        change.event_id,
        change.unique_id,
        change.start_number,
        change.chip_code,
        change.first_name,
        change.last_name,
        day(change.date_of_birth),
        optional.get("country_code"),
        optional.get("team_name"),
        optional.get("gender"),
        optional.get("state") or DEFAULT_STATE,
        stamp,
        stamp,
    )


def write_one(
    session: Session, *, edition_id: int, change: ParticipantChange, now: datetime
) -> Participant:
    """Upsert one change and return the participant as stored (detached)."""
    connection = session.connection()
    dialect = connection.dialect
    stamp_in, day, stamp_out = _converters(dialect)
    sql = single_upsert_sql(dialect.name == "sqlite", change.updated_fields())
    returned = connection.exec_driver_sql(
        sql, _row_values(change, edition_id, stamp_in(now), day)
    ).one()
    participant_id, created_at, country_code, team_name, gender, state = returned
    return Participant(
        id=participant_id,
        edition_id=edition_id,
        event_id=change.event_id,
        unique_id=change.unique_id,
        start_number=change.start_number,
        chip_code=change.chip_code,
        first_name=change.first_name,
        last_name=change.last_name,
        date_of_birth=change.date_of_birth,
        country_code=country_code,
        team_name=team_name,
        gender=gender,
        state=state,
        created_at=stamp_out(created_at) if stamp_out else created_at,
        updated_at=now,
    )


# A batch row (see service.BatchRow): the values of INSERT_COLUMNS[1:12] in order, state
# possibly None (-> DEFAULT_STATE), then the optional fields it overwrites on update.
ROW_EVENT, ROW_UNIQUE_ID, ROW_START_NUMBER, ROW_CHIP_CODE, ROW_DATE_OF_BIRTH = 0, 1, 2, 3, 6
ROW_STATE, ROW_UPDATED = 10, 11


def _sqlite_batch_sql(updated_fields: Sequence[str], rows: int) -> str:
    # ?1 = edition_id and ?2 = the timestamp, shared by every row: 11 parameters a row, not 14.
    # They come first in each row so that every bare "?" after them numbers from 3 on.
    columns = ("edition_id", "created_at", "updated_at", *INSERT_COLUMNS[1:12])
    one_row = "(?1, ?2, ?2, " + ", ".join("?" * (len(columns) - 3)) + ")"
    return (
        f"INSERT INTO {_table.name} ({', '.join(columns)}) "  # noqa: S608 (fixed names)
        f"VALUES {', '.join([one_row] * rows)} {_on_conflict(updated_fields)}"
    )


def write_batch(
    session: Session,
    *,
    edition_id: int,
    rows: Sequence[tuple[Any, ...]],
    now: datetime,
) -> None:
    """Upsert every row; one statement (SQLite: a few) per set of optional fields sent."""
    stamp_in, day, _ = _converters(session.get_bind().dialect)
    stamp = stamp_in(now)
    # Dates repeat across runners: convert each distinct one once.
    days: dict[date, Any] = {}
    groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        born = row[ROW_DATE_OF_BIRTH]
        stored = days.get(born)
        if stored is None:
            stored = days[born] = day(born)
        groups[row[ROW_UPDATED]].append(
            (
                *row[:ROW_DATE_OF_BIRTH],
                stored,
                *row[ROW_DATE_OF_BIRTH + 1 : ROW_STATE],
                row[ROW_STATE] or DEFAULT_STATE,
            )
        )
    connection = session.connection()
    for updated_fields, values in groups.items():
        if not _is_sqlite(session):
            count = len(values)
            columns = (
                [edition_id] * count,
                *(list(column) for column in zip(*values, strict=True)),
                [stamp] * count,
                [stamp] * count,
            )
            connection.exec_driver_sql(postgres_upsert_sql(updated_fields), columns)
            continue
        size = max(1, min(_MAX_ROWS, (_SQLITE_MAX_PARAMS - 2) // (len(INSERT_COLUMNS) - 3)))
        statements: dict[int, str] = {}
        for chunk in _chunks(values, size):
            sql = statements.get(len(chunk))
            if sql is None:
                sql = statements[len(chunk)] = _sqlite_batch_sql(updated_fields, len(chunk))
            connection.exec_driver_sql(sql, (edition_id, stamp, *chain.from_iterable(chunk)))


def park_values(session: Session, participant_ids: Sequence[int]) -> None:
    """Give these rows a unique placeholder bib and chip ("~" + id: never a real value),
    to be overwritten in the same transaction: SQLite checks unique indexes row by row, so a
    swap written directly would clash half-way (PostgreSQL needs it too: its unique checks
    are not deferred)."""
    if not participant_ids:
        return
    parked = f"UPDATE {_table.name} SET start_number = '~' || id, chip_code = '~' || id "  # noqa: S608
    connection = session.connection()
    if not _is_sqlite(session):
        connection.exec_driver_sql(parked + "WHERE id = ANY(%s)", (list(participant_ids),))
        return
    for chunk in _chunks(participant_ids, _MAX_ROWS):
        connection.exec_driver_sql(
            parked + f"WHERE id IN ({', '.join('?' * len(chunk))})", tuple(chunk)
        )


def moving_ids(
    existing: Mapping[str, tuple[int, str, str]], rows: Sequence[tuple[Any, ...]]
) -> list[int]:
    """Existing participants whose bib or chip this batch changes."""
    moving = []
    for row in rows:
        held = existing.get(row[ROW_UNIQUE_ID])
        if held is not None and (held[1] != row[ROW_START_NUMBER] or held[2] != row[ROW_CHIP_CODE]):
            moving.append(held[0])
    return moving

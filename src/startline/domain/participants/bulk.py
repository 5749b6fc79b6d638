"""The set-based write of a participant batch: prepared `INSERT ... ON CONFLICT DO UPDATE`
statements run with the driver's executemany on plain tuples, so 50,000 rows cost one
statement preparation and no per-row ORM or type-processing work in SQLAlchemy."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

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


def _marker(session: Session) -> str:
    return "?" if session.get_bind().dialect.paramstyle == "qmark" else "%s"


def _processor(session: Session, column: str) -> Callable[[Any], Any]:
    """SQLAlchemy's own bind conversion for a column (SQLite stores dates as text)."""
    dialect = session.get_bind().dialect
    process = _table.c[column].type.dialect_impl(dialect).bind_processor(dialect)
    return process or (lambda value: value)


def upsert_sql(session: Session, updated_fields: Sequence[str]) -> str:
    mark = _marker(session)
    columns = ", ".join(INSERT_COLUMNS)
    marks = ", ".join([mark] * len(INSERT_COLUMNS))
    sets = ", ".join(f"{name} = excluded.{name}" for name in (*ALWAYS_SET, *updated_fields))
    return (
        f"INSERT INTO {_table.name} ({columns}) VALUES ({marks}) "  # noqa: S608 (fixed names)
        f"ON CONFLICT (edition_id, unique_id) DO UPDATE SET {sets}"
    )


def write_batch(
    session: Session,
    *,
    edition_id: int,
    changes: Sequence[ParticipantChange],
    now: datetime,
) -> None:
    """Upsert every change; one executemany per set of optional fields sent."""
    stamp = _processor(session, "created_at")(now)
    day: Callable[[date], Any] = _processor(session, "date_of_birth")
    groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = defaultdict(list)
    for change in changes:
        optional = change.optional
        groups[change.updated_fields()].append(
            (
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
        )
    connection = session.connection()
    for updated_fields, rows in groups.items():
        connection.exec_driver_sql(upsert_sql(session, updated_fields), rows)


def park_values(session: Session, participant_ids: Sequence[int]) -> None:
    """Give these rows a unique placeholder bib and chip ("~" + id: never a real value),
    to be overwritten in the same transaction: SQLite checks unique indexes row by row, so a
    swap written directly would clash half-way."""
    if not participant_ids:
        return
    mark = _marker(session)
    statement = (
        f"UPDATE {_table.name} SET start_number = {mark}, chip_code = {mark} "  # noqa: S608
        f"WHERE id = {mark}"
    )
    session.connection().exec_driver_sql(
        statement, [(f"~{pid}", f"~{pid}", pid) for pid in participant_ids]
    )


def moving_ids(
    existing: Mapping[str, tuple[int, str, str]], changes: Sequence[ParticipantChange]
) -> list[int]:
    """Existing participants whose bib or chip this batch changes."""
    moving = []
    for change in changes:
        held = existing.get(change.unique_id)
        if held is not None and (held[1] != change.start_number or held[2] != change.chip_code):
            moving.append(held[0])
    return moving

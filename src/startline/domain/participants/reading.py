"""Reading runners: ORM objects for the low-volume callers (the CLI, tests, small lists),
and plain rows streamed for start lists of any size."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from startline.domain.participants.models import Participant


def participants_of_event(session: Session, *, event_id: int) -> list[Participant]:
    return list(
        session.execute(
            select(Participant).where(Participant.event_id == event_id).order_by(Participant.id)
        ).scalars()
    )


def participants_of_edition(session: Session, *, edition_id: int) -> list[Participant]:
    return list(
        session.execute(
            select(Participant).where(Participant.edition_id == edition_id).order_by(Participant.id)
        ).scalars()
    )


def find_participant(session: Session, *, edition_id: int, unique_id: str) -> Participant | None:
    return session.execute(
        select(Participant).where(
            Participant.edition_id == edition_id, Participant.unique_id == unique_id
        )
    ).scalar_one_or_none()


# The stored fields a start list shows, in this order (runner_rows' tuples).
LISTED_FIELDS = (
    "unique_id",
    "start_number",
    "chip_code",
    "first_name",
    "last_name",
    "date_of_birth",
    "gender",
    "country_code",
    "team_name",
    "state",
    "event_id",
)
_SELECT_LISTED = f"SELECT {', '.join(LISTED_FIELDS)} FROM participants "  # noqa: S608 (fixed)
_LISTED = {
    "sqlite": _SELECT_LISTED + "WHERE edition_id = ?",
    "postgresql": _SELECT_LISTED + "WHERE edition_id = %s",
}
_OF_EVENT = {"sqlite": " AND event_id = ?", "postgresql": " AND event_id = %s"}


def runner_rows(
    session: Session, *, edition_id: int, event_id: int | None = None, chunk: int = 2000
) -> Iterator[tuple[Any, ...]]:
    """Every runner of an edition (or of one of its events) as a LISTED_FIELDS tuple, in the
    order they were created, fetched `chunk` at a time (a start list of any size streams;
    PostgreSQL reads through a server-side cursor). Birth dates are ISO text."""
    connection = session.connection()
    dialect = connection.dialect.name
    statement = _LISTED[dialect]
    params: tuple[int, ...] = (edition_id,)
    if event_id is not None:
        statement += _OF_EVENT[dialect]
        params = (edition_id, event_id)
    result = connection.execution_options(stream_results=True, yield_per=chunk).exec_driver_sql(
        statement + " ORDER BY id", params
    )
    born = LISTED_FIELDS.index("date_of_birth")
    for rows in result.partitions(chunk):
        for row in rows:
            value = row[born]
            if value is None or type(value) is str:
                yield tuple(row)
            else:
                yield (*row[:born], value.isoformat(), *row[born + 1 :])

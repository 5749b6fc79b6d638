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
) -> Iterator[list[tuple[Any, ...]]]:
    """Every runner of an edition (or of one of its events) as LISTED_FIELDS tuples, in the
    order they were created, `chunk` at a time: a start list of any size streams (PostgreSQL
    reads through a server-side cursor). Birth dates are ISO text. Straight from the driver's
    cursor: a 50,000-runner export spends most of its time here."""
    connection = session.connection()
    dialect = connection.dialect.name
    statement = _LISTED[dialect]
    params: tuple[int, ...] = (edition_id,)
    if event_id is not None:
        statement += _OF_EVENT[dialect]
        params = (edition_id, event_id)
    statement += " ORDER BY id"
    driver = connection.connection.driver_connection
    assert driver is not None
    if dialect == "sqlite":
        cursor = driver.cursor()  # sqlite3 steps through the rows as they are fetched
    else:
        cursor = driver.cursor(name=f"runner_rows_{edition_id}")  # server-side
    try:
        cursor.execute(statement, params)
        born = LISTED_FIELDS.index("date_of_birth")
        while rows := cursor.fetchmany(chunk):
            if dialect == "sqlite":  # dates are stored as ISO text already
                yield rows
                continue
            yield [
                row if row[born] is None else (*row[:born], row[born].isoformat(), *row[born + 1 :])
                for row in rows
            ]
    finally:
        cursor.close()

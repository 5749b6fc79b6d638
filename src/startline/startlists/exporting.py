"""Writing a start list: the edition's runners as CSV in one of three column families
(startline/Tracx, RunSignup, RACE RESULT), UTF-8, or for Excel with a BOM and `;`. Streamed
in chunks from one read transaction; whatever family, importing the file back into the same
edition changes nothing."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Literal

from startline.db.engine import Database
from startline.domain.participants.reading import LISTED_FIELDS, runner_rows
from startline.startlists.events import EditionEvents, edition_events

__all__ = ["EditionEvents", "Family", "export_chunks", "prepare_export"]
from startline.startlists.values import STATUS_OF_STATE

Family = Literal["tracx", "runsignup", "raceresult"]
FAMILY_NAMES: tuple[Family, ...] = ("tracx", "runsignup", "raceresult")

_SHORT_GENDER = {"male": "M", "female": "F", "neutral": "X"}
(
    _UNIQUE_ID,
    _BIB,
    _CHIP,
    _FIRST,
    _LAST,
    _BORN,
    _GENDER,
    _COUNTRY,
    _TEAM,
    _STATE,
    _EVENT,
) = range(len(LISTED_FIELDS))

# family -> (header, how a chunk of stored rows becomes the family's rows of cells)
RowMaker = Callable[[list[tuple[Any, ...]], dict[int, str]], Iterable[Sequence[Any]]]


def _tracx(rows: list[tuple[Any, ...]], labels: dict[int, str]) -> Iterable[Sequence[Any]]:
    return [(*row[:_EVENT], labels[row[_EVENT]]) for row in rows]


def _runsignup(rows: list[tuple[Any, ...]], _: dict[int, str]) -> Iterable[Sequence[Any]]:
    short = _SHORT_GENDER
    return [
        (
            row[_UNIQUE_ID],
            row[_BIB],
            row[_CHIP],
            row[_FIRST],
            row[_LAST],
            row[_BORN],
            short.get(row[_GENDER], row[_GENDER]),
            row[_COUNTRY],
            row[_TEAM],
            row[_EVENT],
        )
        for row in rows
    ]


def _raceresult(rows: list[tuple[Any, ...]], labels: dict[int, str]) -> Iterable[Sequence[Any]]:
    short = _SHORT_GENDER
    status = STATUS_OF_STATE
    return [
        (
            row[_UNIQUE_ID],
            row[_BIB],
            row[_FIRST],
            row[_LAST],
            row[_BORN],
            short.get(row[_GENDER], row[_GENDER]),
            row[_COUNTRY],
            row[_TEAM],
            row[_CHIP],
            status.get(row[_STATE], "0"),
            labels[row[_EVENT]],
        )
        for row in rows
    ]


FAMILIES: dict[Family, tuple[tuple[str, ...], RowMaker]] = {
    "tracx": (
        (
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
            "event",
        ),
        _tracx,
    ),
    "runsignup": (
        (
            "registration_id",
            "bib_num",
            "chip_num",
            "first_name",
            "last_name",
            "dob",
            "gender",
            "country_code",
            "team_name",
            "event_id",
        ),
        _runsignup,
    ),
    "raceresult": (
        (
            "ID",
            "Bib",
            "Firstname",
            "Lastname",
            "DateOfBirth",
            "Gender",
            "Nation",
            "Club",
            "Transponder1",
            "Status",
            "Contest",
        ),
        _raceresult,
    ),
}
CHUNK_ROWS = 2000


class ExportRefused(Exception):
    """The export cannot start (no such edition or event)."""


def prepare_export(
    db: Database, *, edition_id: int, event: str | None
) -> tuple[EditionEvents, int | None]:
    """The edition's events and the event asked for (None: all), or ExportRefused."""
    from startline.domain.participants.errors import EditionNotFound

    try:
        with db.reading() as session:
            events = edition_events(session, edition_id)
    except EditionNotFound as exc:
        raise ExportRefused(str(exc)) from None
    if event is None:
        return events, None
    event_id = events.resolve(event.strip())
    if event_id is None:
        raise ExportRefused(
            f"--event {event!r} is not an event of edition {edition_id} "
            f"(its events: {events.described()})"
        )
    return events, event_id


def export_chunks(
    db: Database,
    *,
    edition_id: int,
    event_id: int | None = None,
    family: Family = "tracx",
    excel: bool = False,
    delimiter: str | None = None,
    events: EditionEvents | None = None,
    counted: list[int] | None = None,
) -> Iterator[bytes]:
    """The CSV file as UTF-8 chunks (`excel`: a BOM and `;`; `delimiter`, when given, wins
    over either default). `counted`, when given, gets the number of runners written
    appended at the end."""
    header, make = FAMILIES[family]
    buffer = io.StringIO()
    separator = delimiter or (";" if excel else ",")
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\r\n")
    writer.writerow(header)
    first = (codecs.BOM_UTF8 if excel else b"") + buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    yield first
    count = 0
    with db.reading() as session:
        if events is None:
            events = edition_events(session, edition_id)
        labels = {event_id: events.label(event_id) for event_id in events.names}
        for rows in runner_rows(
            session, edition_id=edition_id, event_id=event_id, chunk=CHUNK_ROWS
        ):
            writer.writerows(make(rows, labels))
            count += len(rows)
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if counted is not None:
        counted.append(count)

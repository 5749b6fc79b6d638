"""Creating a race: validate the document, resolve its partner and timer, count the create
limit, insert the race with one edition holding every sent event; in the caller's session."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from startline.db.base import utcnow
from startline.domain.changes.types import ChangeType
from startline.domain.limits import count_hit
from startline.domain.races import errors as e
from startline.domain.races.fields import (
    EDITIONS,
    EVENT_DOCUMENT_FIELDS,
    EVENT_VIEW_FIELDS,
    EVENTS,
    RACE_DOCUMENT_FIELDS,
    RACES,
    event_columns,
    values_of,
)
from startline.domain.races.inputs import (
    Actor,
    CreateLimit,
    EditionView,
    EventView,
    RaceInput,
    RaceView,
)
from startline.domain.races.journal import record_edition_created, record_event, record_race
from startline.domain.races.links import resolve_partner, resolve_timer
from startline.domain.races.problems import in_document_order, url_problem_position
from startline.domain.races.validation import (
    CleanEvent,
    Collector,
    check_past_events,
    validate_race,
)


def create_race(
    session: Session,
    *,
    actor: Actor,
    race: RaceInput,
    allow_past_event_creation: bool = False,
    signing_partner_id: int | None = None,
    create_limit: CreateLimit | None = None,
    now: datetime | None = None,
) -> RaceView:
    """Create a race with one edition holding every sent event; the actor owns it."""
    now = now or utcnow()
    out = Collector()
    clean = validate_race(race, creating=True, current_timezone=None, out=out)
    partner_id = resolve_partner(session, race, signing_partner_id, out)
    timer_id = resolve_timer(session, race, actor, out)
    if clean is not None:
        if url_string_taken(session, clean.url_string or ""):
            out.problems.insert(url_problem_position(out.problems), e.UrlStringTaken())
        check_past_events(clean, allow_past_event_creation, now, out)
    if out.problems:
        raise e.RaceRejected(in_document_order(out.problems))
    assert clean is not None and clean.url_string is not None
    if create_limit is not None and create_limit.limit > 0:
        hits = count_hit(
            session,
            bucket=create_limit.bucket,
            window_seconds=create_limit.window_seconds,
            now=now,
        )
        if hits.count > create_limit.limit:
            raise e.CreateThrottled(
                f"more than {create_limit.limit} new races in the window",
                retry_after_seconds=hits.retry_after_seconds,
            )
    # Core inserts, answered from the values sent: ORM objects and their flush were 28 % of
    # race POST (py-spy, bench/README.md finding 3).
    fields: dict[str, Any] = {
        **values_of(clean, RACE_DOCUMENT_FIELDS),
        "url_string": clean.url_string,
        "owner_id": actor.user_id,
        "partner_id": partner_id,
        "timer_id": timer_id,
        "created_at": now,
        "last_modified": now,
    }
    # Statements built once and run on the session's connection: the URL check took 80 us
    # through Session.execute with a fresh select, 20 us so (SQLite, microbenchmark).
    connection = session.connection()
    try:
        race_id = connection.execute(
            _INSERT_RACE, {"url_key": clean.url_string.lower(), "is_public": True, **fields}
        ).scalar_one()
    except IntegrityError as exc:  # a concurrent create took the URL string first
        if "url_key" not in str(exc.orig):
            raise
        raise e.RaceRejected([e.UrlStringTaken()]) from exc
    edition_id = connection.execute(
        _INSERT_EDITION, {"race_id": race_id, "created_at": now, "updated_at": now}
    ).scalar_one()
    events = insert_events(connection, edition_id, clean.events, now)
    _journal_created(session, race_id, edition_id, fields, events, now)
    return RaceView(id=race_id, **fields, editions=(EditionView(id=edition_id, events=events),))


def _journal_created(
    session: Session,
    race_id: int,
    edition_id: int,
    fields: dict[str, Any],
    events: tuple[EventView, ...],
    now: datetime,
) -> None:
    """race.created, edition.created and each event's event.created, from the values
    written (a new race is public until `startline races public` says otherwise)."""
    record_race(session, ChangeType.RACE_CREATED, {**fields, "id": race_id, "is_public": True})
    stamps = {"created_at": now, "updated_at": now}
    record_edition_created(session, {"id": edition_id, "race_id": race_id, **stamps})
    for event in events:
        record_event(
            session,
            ChangeType.EVENT_CREATED,
            race_id,
            {**values_of(event, EVENT_VIEW_FIELDS), **stamps},
        )


def insert_events(
    connection: Connection, edition_id: int, events: list[CleanEvent], now: datetime
) -> tuple[EventView, ...]:
    """Insert an edition's events with one Core executemany, answering from RETURNING.

    The ORM bulk insert with sort_by_parameter_order ran one INSERT per event on SQLite
    (20 statements, 1.7 ms of a 7 ms create, pyinstrument); Core's insertmanyvalues sends
    multi-row INSERTs. RETURNING order is not promised, so each view is built from its own
    returned row rather than matched to the input by position."""
    rows = [
        {
            "edition_id": edition_id,
            **values_of(ev, EVENT_DOCUMENT_FIELDS),
            "created_at": now,
            "updated_at": now,
        }
        for ev in events
    ]
    if not rows:
        return ()
    returned = connection.execute(_INSERT_EVENTS, rows)
    views = [
        # SQLite's RETURNING gives an integral REAL as an int (its storage form): 8.0 -> 8.
        EventView(
            **{**row._mapping, "distance": None if row.distance is None else float(row.distance)}
        )
        for row in returned
    ]
    return tuple(sorted(views, key=lambda v: (v.start_time, v.id)))


_INSERT_RACE = insert(RACES).returning(RACES.c.id)
_INSERT_EDITION = insert(EDITIONS).returning(EDITIONS.c.id)
_INSERT_EVENTS = insert(EVENTS).returning(*event_columns())


def url_string_taken(session: Session, url_string: str) -> bool:
    """A quick check for the usual case; the unique url_key decides under concurrency."""
    found = session.connection().execute(_URL_TAKEN, {"url_key": url_string.lower()})
    return found.first() is not None


_URL_TAKEN = select(RACES.c.id).where(RACES.c.url_key == bindparam("url_key"))

"""Races, editions and events in the change journal: one snapshot function per entity (the
entity as it is after the change, in startline's words) and the entries a race write records.

A snapshot never carries a secret or personal data: not the URL key, not the owner, and not
the race's contact e-mail (the feed is read by any token scoped to the race). A deleted
event's entry carries its ids only."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from startline.domain.changes import journal
from startline.domain.changes.types import ChangeType
from startline.domain.races.fields import EVENT_VIEW_FIELDS, RACE_VIEW_FIELDS, values_of
from startline.domain.races.models import Edition, Event

_NOT_IN_FEED = ("contact_email", "owner_id")
RACE_SNAPSHOT_FIELDS = (
    *(name for name in RACE_VIEW_FIELDS if name not in _NOT_IN_FEED),
    "is_public",
)
EDITION_SNAPSHOT_FIELDS = ("id", "race_id", "created_at", "updated_at")
EVENT_SNAPSHOT_FIELDS = (*EVENT_VIEW_FIELDS, "created_at", "updated_at")


def race_snapshot(values: Mapping[str, Any]) -> str:
    """A race's journal entity from its stored values (a mapping holding at least
    RACE_SNAPSHOT_FIELDS; anything else in it is left out)."""
    return journal.object_snapshot({name: values[name] for name in RACE_SNAPSHOT_FIELDS})


def edition_snapshot(values: Mapping[str, Any]) -> str:
    return journal.object_snapshot({name: values[name] for name in EDITION_SNAPSHOT_FIELDS})


def event_snapshot(values: Mapping[str, Any]) -> str:
    return journal.object_snapshot({name: values[name] for name in EVENT_SNAPSHOT_FIELDS})


# --- entries -------------------------------------------------------------------------------


def record_race(session: Session, change: ChangeType, values: Mapping[str, Any]) -> None:
    """race.created or race.updated, with the race as it is now."""
    journal.record(
        session,
        journal.Entry(type=change, race_id=values["id"], entity=race_snapshot(values)),
    )


def record_edition_created(session: Session, values: Mapping[str, Any]) -> None:
    journal.record(
        session,
        journal.Entry(
            type=ChangeType.EDITION_CREATED,
            race_id=values["race_id"],
            edition_id=values["id"],
            entity=edition_snapshot(values),
        ),
    )


def record_event(
    session: Session, change: ChangeType, race_id: int, values: Mapping[str, Any]
) -> None:
    """event.created or event.updated, with the event as it is now."""
    journal.record(
        session,
        journal.Entry(
            type=change,
            race_id=race_id,
            edition_id=values["edition_id"],
            event_id=values["id"],
            entity=event_snapshot(values),
        ),
    )


def record_event_deleted(session: Session, race_id: int, edition_id: int, event_id: int) -> None:
    journal.record(
        session,
        journal.Entry(
            type=ChangeType.EVENT_DELETED,
            race_id=race_id,
            edition_id=edition_id,
            event_id=event_id,
            entity=journal.object_snapshot({"id": event_id, "edition_id": edition_id}),
        ),
    )


def record_new_edition(session: Session, edition: Edition, events: Iterable[Event]) -> None:
    """edition.created and each of its events' event.created (ORM rows, after the flush)."""
    record_edition_created(session, values_of(edition, EDITION_SNAPSHOT_FIELDS))
    for event in events:
        record_event(
            session,
            ChangeType.EVENT_CREATED,
            edition.race_id,
            values_of(event, EVENT_SNAPSHOT_FIELDS),
        )

"""A race's and an event's fields, named once: create, edit, the views and the journal's
snapshots all take their field lists from here.

The views (`RaceView`, `EventView` in inputs.py) are the one written list of stored fields;
the tuples below name the parts of them each job reads or writes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table

from startline.domain.races.inputs import EditionView, EventView, RaceView
from startline.domain.races.models import Edition, Event, Race

RACES = cast(Table, Race.__table__)
EDITIONS = cast(Table, Edition.__table__)
EVENTS = cast(Table, Event.__table__)

# Every stored race field a view carries (its editions come apart).
RACE_VIEW_FIELDS = tuple(f.name for f in fields(RaceView) if f.name != "editions")
# The race fields a document sets on create and on every edit. The url string, partner and
# timer are set on create only; owner and timestamps are the service's.
RACE_DOCUMENT_FIELDS = (
    "name",
    "is_draft",
    "street",
    "city",
    "state",
    "country_code",
    "zipcode",
    "contact_email",
    "timezone",
)
# Every stored event field a view carries, and those a document sets (all but the ids).
EVENT_VIEW_FIELDS = tuple(f.name for f in fields(EventView))
EVENT_DOCUMENT_FIELDS = tuple(n for n in EVENT_VIEW_FIELDS if n not in ("id", "edition_id"))

assert set(RACE_DOCUMENT_FIELDS) <= set(RACE_VIEW_FIELDS)


def values_of(source: object, names: Iterable[str]) -> dict[str, Any]:
    """The named attributes of `source` (an ORM row, a result row, a cleaned document)."""
    return {name: getattr(source, name) for name in names}


def apply_values(target: object, source: object, names: Iterable[str]) -> bool:
    """Copy the named fields from `source` onto `target` where they differ; whether any did.
    An unchanged field is not assigned, so the ORM writes nothing for it."""
    changed = False
    for name in names:
        value = getattr(source, name)
        if getattr(target, name) != value:
            setattr(target, name, value)
            changed = True
    return changed


def new_event(source: object, now: datetime) -> Event:
    """A new event row from a document's event (its edition sets the edition id)."""
    return Event(**values_of(source, EVENT_DOCUMENT_FIELDS), created_at=now, updated_at=now)


def event_view(source: object) -> EventView:
    return EventView(**values_of(source, EVENT_VIEW_FIELDS))


def race_view(source: object, editions: tuple[EditionView, ...]) -> RaceView:
    return RaceView(**values_of(source, RACE_VIEW_FIELDS), editions=editions)


def race_columns() -> list[Any]:
    """The races table's columns of a view, for Core selects."""
    return [RACES.c[name] for name in RACE_VIEW_FIELDS]


def event_columns() -> list[Any]:
    """The events table's columns of a view, for Core selects and RETURNING."""
    return [EVENTS.c[name] for name in EVENT_VIEW_FIELDS]

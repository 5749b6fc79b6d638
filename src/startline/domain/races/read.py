"""Reading races: one race's view (drafts only for those who may read its runners), pages of
races with filters, and every race for the operator's list; in the caller's session."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, Select, and_, bindparam, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from startline.domain.races import errors as e
from startline.domain.races.access import race_access
from startline.domain.races.fields import (
    EDITIONS,
    EVENTS,
    RACES,
    event_columns,
    event_view,
    race_columns,
    race_view,
)
from startline.domain.races.inputs import Actor, EditionView, RaceView
from startline.domain.races.models import Edition, Event, Race

# Core reads of one race into its view: measured 44.5 % of GET race XML was the ORM load
# (selectinload: instance state and per-row processors); plain rows skip that work.
_RACE_ROW = select(*race_columns()).where(RACES.c.id == bindparam("race_id"))
# Every edition (an outer join keeps one left without events), events in the order the
# ORM relationships gave: races by id, editions by id, events by (start_time, id). An
# edition without events comes as one row whose event columns are all null (its id is
# `edition`).
_EDITION_EVENTS = (
    select(EDITIONS.c.race_id, EDITIONS.c.id.label("edition"), *event_columns())
    .select_from(EDITIONS.outerjoin(EVENTS, EVENTS.c.edition_id == EDITIONS.c.id))
    .order_by(EDITIONS.c.race_id, EDITIONS.c.id, EVENTS.c.start_time, EVENTS.c.id)
)
_RACE_EVENTS = _EDITION_EVENTS.where(EDITIONS.c.race_id == bindparam("race_id"))


def read_view(connection: Connection, race_id: int) -> RaceView | None:
    """The race's view from two Core selects (no ORM objects), or None when absent."""
    race = connection.execute(_RACE_ROW, {"race_id": race_id}).first()
    if race is None:
        return None
    return race_view(race, _editions(connection.execute(_RACE_EVENTS, {"race_id": race_id})))


def _editions(rows: Iterable[Any]) -> tuple[EditionView, ...]:
    """One race's editions from its rows of `_EDITION_EVENTS` (in that order)."""
    return tuple(
        EditionView(
            id=edition_id,
            events=tuple(event_view(row) for row in group if row.id is not None),
        )
        for edition_id, group in groupby(rows, key=lambda row: row.edition)
    )


def view_of(race: Race) -> RaceView:
    """A loaded race (editions and events with it) as its view."""
    return race_view(
        race,
        tuple(
            EditionView(
                id=edition.id,
                events=tuple(
                    event_view(ev)
                    for ev in sorted(edition.events, key=lambda x: (x.start_time, x.id))
                ),
            )
            for edition in sorted(race.editions, key=lambda x: x.id)
        ),
    )


def get_race(session: Session, *, race_id: int, viewer: Actor | None = None) -> RaceView:
    """A race as its viewer may see it: drafts only for those who may read its runners
    (owner, admins, its timer's members: timing software reads the race for event times)."""
    view = read_view(session.connection(), race_id)
    hidden = view is None or (
        view.is_draft and not _may_read_runners(session, race_id=race_id, viewer=viewer)
    )
    if view is None or hidden:
        raise e.RaceNotFound(f"no race {race_id}")
    return view


def _may_read_runners(session: Session, *, race_id: int, viewer: Actor | None) -> bool:
    access = race_access(session, race_id=race_id, actor=viewer)
    return access is not None and access.may_read_runners


@dataclass(frozen=True)
class RaceFilter:
    name: str | None = None
    state: str | None = None
    country_code: str | None = None
    start_date: date | None = None  # some event starts on or after this local date
    end_date: date | None = None  # ...and on or before this one


def list_races(
    session: Session,
    *,
    viewer: Actor | None = None,
    filters: RaceFilter | None = None,
    page: int = 1,
    per_page: int = 50,
) -> list[RaceView]:
    """One page of races (oldest first) the viewer may see, with their events."""
    filters = filters or RaceFilter()
    statement = _filtered(select(Race), filters, viewer)
    statement = (
        statement.order_by(Race.id)
        .offset((max(page, 1) - 1) * per_page)
        .limit(per_page)
        .options(selectinload(Race.editions).selectinload(Edition.events))
    )
    return [view_of(row) for row in session.execute(statement).scalars()]


def _filtered(statement: Select, filters: RaceFilter, viewer: Actor | None) -> Select:
    if viewer is None:
        statement = statement.where(Race.is_draft.is_(False))
    elif not viewer.is_admin:
        statement = statement.where(or_(Race.is_draft.is_(False), Race.owner_id == viewer.user_id))
    if filters.name:
        statement = statement.where(
            func.lower(Race.name).contains(filters.name.lower(), autoescape=True)
        )
    if filters.state:
        statement = statement.where(func.upper(Race.state) == filters.state.upper())
    if filters.country_code:
        statement = statement.where(Race.country_code == filters.country_code.upper())
    if filters.start_date or filters.end_date:
        conditions = [Edition.race_id == Race.id]
        if filters.start_date:
            conditions.append(
                Event.start_time >= datetime.combine(filters.start_date, datetime.min.time())
            )
        if filters.end_date:
            conditions.append(
                Event.start_time
                < datetime.combine(filters.end_date, datetime.min.time()) + timedelta(days=1)
            )
        statement = statement.where(
            exists(
                select(Event.id)
                .join(Edition, Event.edition_id == Edition.id)
                .where(and_(*conditions))
            )
        )
    return statement


# --- every race, for the operator ------------------------------------------------------------


@dataclass(frozen=True)
class RaceEntry:
    """A race in the operator's list: whether its pages may show, and its editions."""

    id: int
    name: str
    is_draft: bool
    is_public: bool  # the `startline races public` switch (a draft never shows)
    timezone: str  # the zone of its events' local times
    editions: tuple[EditionView, ...]


_ALL_RACES = select(
    RACES.c.id, RACES.c.name, RACES.c.is_draft, RACES.c.is_public, RACES.c.timezone
).order_by(RACES.c.id)


def all_races(connection: Connection) -> list[RaceEntry]:
    """Every race, drafts and hidden ones too (no viewer's rules: this is the operator's
    view, `startline races list`), oldest first, with its editions (by id) and their events
    (by start time)."""
    editions = {
        race_id: _editions(rows)
        for race_id, rows in groupby(
            connection.execute(_EDITION_EVENTS), key=lambda row: row.race_id
        )
    }
    return [
        RaceEntry(
            id=race.id,
            name=race.name,
            is_draft=race.is_draft,
            is_public=race.is_public,
            timezone=race.timezone,
            editions=editions.get(race.id, ()),
        )
        for race in connection.execute(_ALL_RACES)
    ]

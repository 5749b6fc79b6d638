"""Public races: which races a visitor may see, the edition a race page shows, and the index.

A race is public when it is not a draft and its `is_public` switch is on (the server-wide
switch, STARTLINE_PUBLIC_PAGES, is the surface's to check). Anything else reads as absent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, bindparam, select, update
from sqlalchemy.orm import Session

from startline.db.base import utcnow
from startline.domain.changes.types import ChangeType
from startline.domain.errors import NotFound
from startline.domain.races import timerules
from startline.domain.races.journal import RACE_SNAPSHOT_FIELDS, record_race
from startline.domain.races.models import Edition, Event, Race
from startline.domain.races.timerules import DEFAULT_TIMEZONE, zone_or_none
from startline.domain.races.urls import race_path

_RACES, _EDITIONS, _EVENTS = Race.__table__, Edition.__table__, Event.__table__

# How far back the index reaches for "recent" races, and how many of each kind it lists.
RECENT_DAYS = 60
INDEX_LIMIT = 100


@dataclass(frozen=True, slots=True)
class PublicEvent:
    id: int
    name: str
    start_time: datetime  # local wall-clock time in the race's zone
    end_time: datetime | None
    distance: float | None
    distance_units: str | None  # K or M


@dataclass(frozen=True, slots=True)
class PublicEdition:
    id: int
    events: tuple[PublicEvent, ...]

    @property
    def first_start(self) -> datetime | None:
        return timerules.first_start(self.events)

    @property
    def last_finish(self) -> datetime | None:
        return timerules.last_finish(self.events)


@dataclass(frozen=True, slots=True)
class PublicRace:
    id: int
    name: str
    url_string: str
    city: str | None
    state: str | None
    country_code: str
    timezone: str
    editions: tuple[PublicEdition, ...]  # by id

    @property
    def path(self) -> str:
        return race_path(self)

    @property
    def zone(self) -> ZoneInfo:
        return zone_or_none(self.timezone) or ZoneInfo(DEFAULT_TIMEZONE)

    def edition(self, edition_id: int) -> PublicEdition | None:
        return next((ed for ed in self.editions if ed.id == edition_id), None)


def _is_public() -> list[ColumnElement[bool]]:
    return [_RACES.c.is_draft.is_(False), _RACES.c.is_public.is_(True)]


_RACE_COLUMNS = (
    _RACES.c.id,
    _RACES.c.name,
    _RACES.c.url_string,
    _RACES.c.city,
    _RACES.c.state,
    _RACES.c.country_code,
    _RACES.c.timezone,
)
_BY_URL_KEY = select(*_RACE_COLUMNS).where(_RACES.c.url_key == bindparam("url_key"), *_is_public())
_BY_ID = select(*_RACE_COLUMNS).where(_RACES.c.id == bindparam("race_id"), *_is_public())
_BY_EDITION = (
    select(*_RACE_COLUMNS)
    .join(_EDITIONS, _EDITIONS.c.race_id == _RACES.c.id)
    .where(_EDITIONS.c.id == bindparam("edition_id"), *_is_public())
)


def _editions_of(session: Session, race_ids: Sequence[int]) -> dict[int, list[PublicEdition]]:
    """Every edition (events by start time) of the races, by race id; editions by id."""
    rows = session.execute(
        select(
            _EDITIONS.c.race_id,
            _EDITIONS.c.id.label("edition_id"),
            _EVENTS.c.id,
            _EVENTS.c.name,
            _EVENTS.c.start_time,
            _EVENTS.c.end_time,
            _EVENTS.c.distance,
            _EVENTS.c.distance_units,
        )
        .select_from(_EDITIONS.outerjoin(_EVENTS, _EVENTS.c.edition_id == _EDITIONS.c.id))
        .where(_EDITIONS.c.race_id.in_(race_ids))
        .order_by(_EDITIONS.c.race_id, _EDITIONS.c.id, _EVENTS.c.start_time, _EVENTS.c.id)
    )
    grouped: dict[int, dict[int, list[PublicEvent]]] = {}
    for row in rows:
        events = grouped.setdefault(row.race_id, {}).setdefault(row.edition_id, [])
        if row.id is not None:
            events.append(
                PublicEvent(
                    id=row.id,
                    name=row.name,
                    start_time=row.start_time,
                    end_time=row.end_time,
                    distance=None if row.distance is None else float(row.distance),
                    distance_units=row.distance_units,
                )
            )
    return {
        race_id: [PublicEdition(id=eid, events=tuple(evs)) for eid, evs in editions.items()]
        for race_id, editions in grouped.items()
    }


def _races(session: Session, statement: Select, params: dict[str, object]) -> list[PublicRace]:
    rows = session.execute(statement, params).all()
    editions = _editions_of(session, [row.id for row in rows]) if rows else {}
    return [PublicRace(**row._mapping, editions=tuple(editions.get(row.id, ()))) for row in rows]


def public_race_by_url_string(session: Session, *, url_string: str) -> PublicRace | None:
    """The public race whose url_string is this one, whatever its case."""
    if len(url_string) > 100:
        return None
    found = _races(session, _BY_URL_KEY, {"url_key": url_string.lower()})
    return found[0] if found else None


def public_race(session: Session, *, race_id: int) -> PublicRace | None:
    if not 0 < race_id <= 2**31 - 1:
        return None
    found = _races(session, _BY_ID, {"race_id": race_id})
    return found[0] if found else None


def public_race_of_edition(session: Session, *, edition_id: int) -> PublicRace | None:
    """The public race an edition belongs to (None: no such edition, or not public)."""
    if not 0 < edition_id <= 2**31 - 1:
        return None
    found = _races(session, _BY_EDITION, {"edition_id": edition_id})
    return found[0] if found else None


# --- which edition a page shows (decision 20) ----------------------------------------------


def stays_current_until(edition: PublicEdition, zone: ZoneInfo) -> datetime | None:
    """Local midnight after the edition's last finish, in UTC (None: it has no events)."""
    finish = edition.last_finish
    if finish is None:
        return None
    midnight = datetime.combine(finish.date() + timedelta(days=1), time())
    return midnight.replace(tzinfo=zone).astimezone(UTC)


def current_edition(race: PublicRace, now: datetime | None = None) -> PublicEdition | None:
    """The edition a race page shows (decision 20): the race object's current edition, except
    that an edition stays current until local midnight after its last event's finish, even
    when the next one (a renewal made on race day) is already there. Of the editions not
    over by that rule, the one finishing first; when every one is over, the newest."""
    now = now or datetime.now(UTC)
    zone = race.zone
    current: PublicEdition | None = None
    current_until: datetime | None = None
    for edition in race.editions:
        until = stays_current_until(edition, zone)
        if until is None or until <= now:
            continue
        if current_until is None or until < current_until:
            current, current_until = edition, until
    if current is not None:
        return current
    return race.editions[-1] if race.editions else None


# --- the index -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndexEntry:
    race: PublicRace
    edition: PublicEdition
    first_day: date  # local date of its first event
    last_day: date


@dataclass(frozen=True, slots=True)
class RaceIndex:
    upcoming: list[IndexEntry]  # soonest first (today's races included)
    recent: list[IndexEntry]  # most recent first


def race_index(session: Session, *, now: datetime | None = None) -> RaceIndex:
    """Public races whose current edition is still current (upcoming) or ended in the last
    RECENT_DAYS days (recent). Races further back are not listed."""
    now = now or datetime.now(UTC)
    # Event times are local; a day's margin covers every zone.
    earliest = (now - timedelta(days=RECENT_DAYS + 1)).replace(tzinfo=None)
    with_events = (
        select(_EDITIONS.c.race_id)
        .join(_EVENTS, _EVENTS.c.edition_id == _EDITIONS.c.id)
        .where(and_(_EVENTS.c.start_time >= earliest))
    )
    statement = select(*_RACE_COLUMNS).where(*_is_public(), _RACES.c.id.in_(with_events))
    upcoming: list[IndexEntry] = []
    recent: list[IndexEntry] = []
    for race in _races(session, statement, {}):
        edition = current_edition(race, now)
        if edition is None or edition.first_start is None:
            continue
        until = stays_current_until(edition, race.zone)
        assert until is not None and edition.last_finish is not None
        entry = IndexEntry(race, edition, edition.first_start.date(), edition.last_finish.date())
        if until > now:
            upcoming.append(entry)
        elif until > now - timedelta(days=RECENT_DAYS):
            recent.append(entry)
    upcoming.sort(key=lambda e: (e.first_day, e.race.name, e.race.id))
    recent.sort(key=lambda e: (e.last_day, e.race.id), reverse=True)
    return RaceIndex(upcoming=upcoming[:INDEX_LIMIT], recent=recent[:INDEX_LIMIT])


# --- the per-race switch -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PublicSwitch:
    race_id: int
    public: bool  # the switch as it is now
    changed: bool
    shown: bool  # public and not a draft: the pages show it
    path: str


def set_public(
    session: Session, *, race_id: int, public: bool, now: datetime | None = None
) -> PublicSwitch:
    """Show or hide a race's pages. A change moves the race's last_modified and is journaled
    as race.updated (the race snapshot of every race entry); the same switch again changes
    nothing. A draft stays hidden whatever the switch says."""
    row = session.execute(
        select(*_SNAPSHOT_COLUMNS).where(_RACES.c.id == race_id).with_for_update()
    ).first()
    if row is None:
        raise NotFound(f"no race {race_id}")
    changed = row.is_public != public
    if changed:
        now = now or utcnow()
        session.execute(
            update(Race).where(Race.id == race_id).values(is_public=public, last_modified=now)
        )
        record_race(
            session,
            ChangeType.RACE_UPDATED,
            {**row._mapping, "is_public": public, "last_modified": now},
        )
    return PublicSwitch(
        race_id=race_id,
        public=public,
        changed=changed,
        shown=public and not row.is_draft,
        path=race_path(row),
    )


_SNAPSHOT_COLUMNS = tuple(_RACES.c[name] for name in RACE_SNAPSHOT_FIELDS)

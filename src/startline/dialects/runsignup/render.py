"""RaceView -> the RunSignup race object: its dates, T/F flags, distance strings and URL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from startline.domain.races.inputs import EditionView, EventView, RaceView
from startline.domain.races.timerules import event_finish, to_utc, zone_or_none
from startline.domain.races.urls import race_url

EASTERN = ZoneInfo("America/New_York")


class EventsShown(Enum):
    """Which events a race object lists."""

    ALL = "all"  # every edition's events (GET /rest/race)
    FUTURE = "future"  # those that have not finished (future_events_only=T)
    CURRENT = "current"  # the current edition's (GET /rest/races?events=T)
    NONE = "none"  # no `events` key (GET /rest/races)


def day(value: date | None) -> str | None:
    """MM/DD/YYYY."""
    return None if value is None else f"{value.month:02d}/{value.day:02d}/{value.year:04d}"


def moment(value: datetime | None) -> str | None:
    """M/D/YYYY HH:MM (month and day not padded, hour padded)."""
    if value is None:
        return None
    return f"{value.month}/{value.day}/{value.year} {value.hour:02d}:{value.minute:02d}"


def distance(value: float | None, units: str | None) -> str | None:
    if value is None:
        return None
    number = str(int(value)) if value.is_integer() else repr(value)
    if units == "M":
        return f"{number} Mile" if value == 1 else f"{number} Miles"
    return f"{number}K"


def _day(local: datetime | None) -> str | None:
    return None if local is None else day(local.date())


def _split_editions(
    race: RaceView, zone: ZoneInfo, now: datetime
) -> tuple[EditionView | None, EditionView | None]:
    """(newest unfinished edition, newest finished edition); editions without events are
    neither."""
    upcoming: tuple[datetime, EditionView] | None = None  # (its first start, the edition)
    finished: tuple[datetime, EditionView] | None = None
    for edition in race.editions:
        start, finish = edition.first_start, edition.last_finish
        if start is None or finish is None:
            continue
        if to_utc(finish, zone) >= now:
            if upcoming is None or start >= upcoming[0]:
                upcoming = (start, edition)
        elif finished is None or start >= finished[0]:
            finished = (start, edition)
    return (
        None if upcoming is None else upcoming[1],
        None if finished is None else finished[1],
    )


def _event(ev: EventView) -> dict[str, Any]:
    return {
        "event_id": ev.id,
        "race_event_days_id": ev.edition_id,
        "name": ev.name,
        "start_time": moment(ev.start_time),
        "end_time": moment(ev.end_time),
        "event_type": ev.event_type,
        "distance": distance(ev.distance, ev.distance_units),
        "age_calc_base_date": day(ev.age_calc_base_date),
    }


def race_object(
    race: RaceView,
    *,
    base_url: str,
    show_contact: bool,
    events: EventsShown = EventsShown.ALL,
    now: datetime | None = None,
) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    zone = zone_or_none(race.timezone) or EASTERN
    upcoming, finished = _split_editions(race, zone, now)
    body: dict[str, Any] = {
        "race_id": race.id,
        "name": race.name,
        "url_string": race.url_string,
        "last_date": _day(finished.first_start) if finished else None,
        "last_end_date": _day(finished.last_finish) if finished else None,
        "next_date": _day(upcoming.first_start) if upcoming else None,
        "next_end_date": _day(upcoming.last_finish) if upcoming else None,
        "is_draft_race": "T" if race.is_draft else "F",
        "created": moment(race.created_at.astimezone(EASTERN)),
        "last_modified": moment(race.last_modified.astimezone(EASTERN)),
        "url": race_url(base_url, race),
        "address": {
            "street": race.street,
            "city": race.city,
            "state": race.state,
            "zipcode": race.zipcode,
            "country_code": race.country_code,
        },
        "timezone": race.timezone,
        "partner_id": race.partner_id,
        "timer_id": race.timer_id,
    }
    if show_contact:
        body["contact_email"] = race.contact_email
    if events is not EventsShown.NONE:
        body["events"] = [_event(ev) for ev in _chosen_events(race, events, upcoming, zone, now)]
    return body


def _chosen_events(
    race: RaceView, which: EventsShown, upcoming: EditionView | None, zone: ZoneInfo, now: datetime
) -> list[EventView]:
    if which is EventsShown.CURRENT:
        edition = upcoming or (race.editions[-1] if race.editions else None)
        chosen = list(edition.events) if edition else []
    else:
        chosen = [ev for edition in race.editions for ev in edition.events]
        if which is EventsShown.FUTURE:
            chosen = [
                ev for ev in chosen if to_utc(event_finish(ev.start_time, ev.end_time), zone) >= now
            ]
    return sorted(chosen, key=lambda ev: (ev.start_time, ev.id))

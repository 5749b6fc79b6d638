"""Field rules of a race document; every problem is collected, in document order."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import pycountry

from startline.domain.accounts.service import is_valid_email
from startline.domain.races import errors as e
from startline.domain.races.inputs import EventInput, RaceInput
from startline.domain.races.timerules import exists_locally, is_past, zone_or_none
from startline.domain.text import CONTROL_CHARACTER_CLASS, has_control_character

EVENT_TYPES = frozenset(
    [
        "running_race",
        "virtual_race",
        "nonprofit_event",
        "running_only",
        "walking_only",
        "race_walk",
        "wheelchair",
        "triathlon",
        "duathlon",
        "bike_race",
        "bike_ride",
        "mountain_bike_race",
        "gravel_grinder",
        "fundraising_ride",
        "trail_race",
        "open_course_trail",
        "ultra",
        "hike",
        "obstacle_course",
        "adventure_race",
        "swim",
        "swim_run",
        "aqua_bike",
        "ski",
        "paddle_sports",
        "disc_golf",
        "clinic",
        "expo",
        "skate",
        "ruck",
        "other",
    ]
)
_URL_STRING = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
_US_ZIP = re.compile(r"^\d{5}(-\d{4})?$")
_CITY_FORBIDDEN = re.compile(f"[{CONTROL_CHARACTER_CLASS}<>]")
STATE_REQUIRED_IN = frozenset({"US", "CA"})


@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries)


@lru_cache(maxsize=8)
def _subdivisions(country: str) -> frozenset[str]:
    found = pycountry.subdivisions.get(country_code=country) or []
    return frozenset(s.code.split("-", 1)[1] for s in found)


@dataclass
class CleanEvent:
    event_id: int | None
    name: str
    start_time: datetime
    end_time: datetime | None
    event_type: str
    distance: float | None
    distance_units: str | None
    age_calc_base_date: date | None


@dataclass
class CleanRace:
    name: str
    url_string: str | None
    is_draft: bool
    street: str | None
    city: str
    state: str | None
    country_code: str
    zipcode: str | None
    contact_email: str | None
    timezone: str
    events: list[CleanEvent]


class Collector:
    """Gathers problems; `take` unwraps a parsed value or records its problem."""

    def __init__(self) -> None:
        self.problems: list[e.RaceProblem] = []

    def add(self, problem: e.RaceProblem) -> None:
        self.problems.append(problem)

    def take(self, value: object) -> object:
        if isinstance(value, e.RaceProblem):
            self.add(value)
            return None
        return value


def _blank_to_none(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def validate_race(
    race: RaceInput, *, creating: bool, current_timezone: str | None, out: Collector
) -> CleanRace | None:
    """The cleaned race, or None when a problem was added to `out`."""
    before = len(out.problems)
    name = _blank_to_none(race.name)
    if name is None:
        out.add(e.NameRequired())
    elif len(name) > 128 or has_control_character(name):
        out.add(e.NameInvalid())

    url_string = _blank_to_none(race.url_string) if creating else None
    if creating and (url_string is None or not _URL_STRING.match(url_string)):
        out.add(e.UrlStringInvalid())

    is_draft = out.take(race.is_draft)
    street, city, state, country, zipcode = _validate_address(race, out)

    contact_email = _blank_to_none(race.contact_email)
    if contact_email is not None and (
        not is_valid_email(contact_email) or has_control_character(contact_email)
    ):
        out.add(e.ContactEmailInvalid())

    timezone = _blank_to_none(race.timezone)
    if timezone is None:
        timezone = current_timezone or "America/New_York"
    zone = zone_or_none(timezone)
    if zone is None:
        out.add(e.TimezoneInvalid())

    events = _validate_events(race.events, zone, out)
    if len(out.problems) > before:
        return None
    assert name is not None and city is not None and zone is not None
    return CleanRace(
        name=name,
        url_string=url_string,
        is_draft=bool(is_draft),
        street=street,
        city=city,
        state=state,
        country_code=country,
        zipcode=zipcode,
        contact_email=contact_email,
        timezone=timezone,
        events=events,
    )


def check_past_events(clean: CleanRace, allow_past: bool, now: datetime, out: Collector) -> None:
    """Events that start in the past need allow_past_event_creation (create and edit)."""
    zone = zone_or_none(clean.timezone)
    assert zone is not None
    if not allow_past and any(is_past(ev.start_time, zone, now) for ev in clean.events):
        out.add(e.PastEventsNotAllowed())


def _validate_address(
    race: RaceInput, out: Collector
) -> tuple[str | None, str | None, str | None, str, str | None]:
    street = _blank_to_none(race.street)
    if street is not None and len(street) > 512:
        out.add(e.StreetTooLong())
    elif street is not None and has_control_character(street.replace("\n", " ").replace("\t", " ")):
        out.add(e.AddressMissing("the street contains control characters"))

    city = _blank_to_none(race.city)
    if city is None:
        out.add(e.AddressMissing("the city is required"))
    elif len(city) > 128:
        out.add(e.CityTooLong())
    elif _CITY_FORBIDDEN.search(city):
        out.add(e.CityInvalid())

    country = (_blank_to_none(race.country_code) or "US").upper()
    country_ok = country in _countries()
    state = _blank_to_none(race.state)
    if country in STATE_REQUIRED_IN:
        if state is None:
            out.add(e.AddressMissing("the state is required in the US and Canada"))
        elif state.upper() not in _subdivisions(country):
            out.add(e.StateInvalid())
        else:
            state = state.upper()
    elif state is not None and (len(state) > 64 or has_control_character(state)):
        out.add(e.StateInvalid())
    if not country_ok:
        out.add(e.CountryInvalid())

    zipcode = _blank_to_none(race.zipcode)
    if zipcode is not None and (
        (country == "US" and not _US_ZIP.match(zipcode))
        or len(zipcode) > 32
        or has_control_character(zipcode)
    ):
        out.add(e.ZipcodeInvalid())
    return street, city, state, country, zipcode


def _validate_events(events: object, zone: ZoneInfo | None, out: Collector) -> list[CleanEvent]:
    if isinstance(events, e.RaceProblem):
        out.add(events)
        return []
    if not events:
        out.add(e.EventsRequired())
        return []
    assert isinstance(events, list)
    cleaned = []
    for index, event in enumerate(events):
        clean = _validate_event(event, index, zone, out)
        if clean is not None:
            cleaned.append(clean)
    return cleaned


def _validate_event(
    event: EventInput, index: int, zone: ZoneInfo | None, out: Collector
) -> CleanEvent | None:
    before = len(out.problems)

    def problem(kind: type[e.RaceProblem]) -> None:
        out.add(kind(event_index=index))

    def take(value: object) -> object:
        if isinstance(value, e.RaceProblem):
            value.event_index = index
        return out.take(value)

    event_id = take(event.event_id)
    name = _blank_to_none(event.name)
    if name is None or len(name) > 128 or has_control_character(name):
        problem(e.EventNameInvalid)

    start = take(event.start_time)
    if start is None and not isinstance(event.start_time, e.RaceProblem):
        problem(e.StartTimeRequired)
    elif isinstance(start, datetime) and zone is not None and not exists_locally(start, zone):
        problem(e.StartTimeInvalid)
        start = None

    end = take(event.end_time)
    if isinstance(end, datetime) and (
        (zone is not None and not exists_locally(end, zone))
        or (isinstance(start, datetime) and end < start)
    ):
        problem(e.EndTimeInvalid)

    event_type = _blank_to_none(event.event_type)
    if event_type is None:
        problem(e.EventTypeRequired)
    elif event_type.lower() not in EVENT_TYPES:
        problem(e.EventTypeInvalid)

    distance = take(event.distance)
    units = (_blank_to_none(event.distance_units) or "K").upper()
    if isinstance(distance, float) and (
        not math.isfinite(distance)
        or distance <= 0
        or distance >= 1e6
        or units not in "KM"
        or len(units) != 1
    ):
        problem(e.DistanceInvalid)

    age_base = take(event.age_calc_base_date)
    if len(out.problems) > before:
        return None
    assert isinstance(start, datetime) and name is not None and event_type is not None
    return CleanEvent(
        event_id=event_id,  # type: ignore[arg-type]
        name=name,
        start_time=start,
        end_time=end,  # type: ignore[arg-type]
        event_type=event_type.lower(),
        distance=distance,  # type: ignore[arg-type]
        distance_units=units if distance is not None else None,
        age_calc_base_date=age_base,  # type: ignore[arg-type]
    )

"""The race document on the wire (JSON or XML, already decoded) -> the domain's RaceInput.

JSON may carry numbers as strings, XML carries everything as strings; `T`/`F` or JSON booleans
for flags; empty string and null mean "not set". A value of the wrong shape becomes the
problem the domain reports for that field."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from startline.dialects.runsignup.errors import ApiError, Code
from startline.domain.ids import MAX_ID
from startline.domain.races import errors as e
from startline.domain.races.inputs import EventInput, RaceInput

MIN_YEAR, MAX_YEAR = 1900, 2999
# A text field given as an object or list: a string every text rule refuses.
UNREADABLE = "\x00"
_DATETIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value
    return UNREADABLE


def flag(value: Any) -> bool | None:
    """T/F (also true/false, JSON booleans); None when not set; ValueError otherwise."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if word == "":
            return None
        if word in {"t", "true", "1"}:
            return True
        if word in {"f", "false", "0"}:
            return False
    raise ValueError("not a T/F flag")


def identifier(value: Any) -> int | None:
    """A positive id; None when not set; ValueError otherwise."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("not an id")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        word = value.strip()
        if word == "":
            return None
        if not word.isdigit() or not word.isascii() or len(word) > 10:
            raise ValueError("not an id")
        number = int(word)
    else:
        raise ValueError("not an id")
    if not 1 <= number <= MAX_ID:
        raise ValueError("id out of range")
    return number


def _id_or(value: Any, problem: type[e.RaceProblem]) -> int | None | e.RaceProblem:
    try:
        return identifier(value)
    except ValueError:
        return problem()


def _flag_or(value: Any, problem: type[e.RaceProblem]) -> bool | None | e.RaceProblem:
    try:
        return flag(value)
    except ValueError:
        return problem()


def _number(value: Any) -> float | None | e.RaceProblem:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return e.DistanceInvalid()
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and _NUMBER.match(value.strip()):
        number = float(value.strip())
    else:
        return e.DistanceInvalid()
    return number if math.isfinite(number) else e.DistanceInvalid()


def local_datetime(value: Any, problem: type[e.RaceProblem]) -> datetime | None | e.RaceProblem:
    if value is None or value == "":
        return None
    match = _DATETIME.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        return problem()
    year, month, day, hour, minute, second = (int(part) for part in match.groups(default="0"))
    try:
        moment = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return problem()
    # Far-off years cannot be converted between zones (and are never a real race).
    return moment if MIN_YEAR <= moment.year <= MAX_YEAR else problem()


def calendar_date(value: Any) -> date | None | e.RaceProblem:
    if value is None or value == "":
        return None
    match = _DATE.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        return e.AgeBaseDateInvalid()
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return e.AgeBaseDateInvalid()


def _events(value: Any) -> list[EventInput] | None | e.RaceProblem:
    if value is None or value == "":
        return None
    if isinstance(value, dict):
        value = value.get("event", value if "name" in value else None)
        if isinstance(value, dict):
            value = [value]
    if not isinstance(value, list):
        return e.EventsRequired()
    return [_event(item if isinstance(item, dict) else {}) for item in value]


def _event(doc: dict[str, Any]) -> EventInput:
    return EventInput(
        event_id=_id_or(doc.get("event_id"), e.EventIdInvalid),
        name=text(doc.get("name")),
        start_time=local_datetime(doc.get("start_time"), e.StartTimeInvalid),
        end_time=local_datetime(doc.get("end_time"), e.EndTimeInvalid),
        event_type=text(doc.get("event_type")),
        distance=_number(doc.get("distance")),
        distance_units=text(doc.get("distance_units")),
        age_calc_base_date=calendar_date(doc.get("age_calc_base_date")),
    )


@dataclass(frozen=True)
class RaceDocument:
    race: RaceInput
    top_level: dict[str, Any]  # for flags sent inside the document


def race_input(document: Any) -> RaceDocument:
    """The RaceInput of a decoded race document; ApiError 11 when it is not an object."""
    if not isinstance(document, dict):
        raise ApiError(Code.INVALID_SUBMISSION)
    address = document.get("address")
    if not isinstance(address, dict):
        address = {}
    race = RaceInput(
        name=text(document.get("name")),
        url_string=text(document.get("url_string")),
        is_draft=_flag_or(document.get("draft_race"), e.DraftFlagInvalid),
        street=text(address.get("street")),
        city=text(address.get("city")),
        state=text(address.get("state")),
        country_code=text(address.get("country_code")),
        zipcode=text(address.get("zipcode")),
        contact_email=text(document.get("contact_email")),
        timezone=text(document.get("timezone")),
        partner_id=_id_or(document.get("partner_id"), e.PartnerIdInvalid),
        partner_token=text(document.get("partner_token")),
        timer_id=_id_or(document.get("timer_id"), e.TimerInvalid),
        events=_events(document.get("events")),
    )
    return RaceDocument(race=race, top_level=document)

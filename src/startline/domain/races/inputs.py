"""Plain typed values a dialect hands to the race services, and the views they return.

A field the dialect could not even parse carries the problem found instead of a value, so
the service can report it in document order together with every other problem."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from startline.domain.races import timerules
from startline.domain.races.errors import RaceProblem


@dataclass(frozen=True)
class Actor:
    """Who is calling: the authenticated user."""

    user_id: int
    is_admin: bool = False


@dataclass
class EventInput:
    event_id: int | None | RaceProblem = None
    name: str | None = None
    start_time: datetime | None | RaceProblem = None
    end_time: datetime | None | RaceProblem = None
    event_type: str | None = None
    distance: float | None | RaceProblem = None
    distance_units: str | None = None
    age_calc_base_date: date | None | RaceProblem = None


@dataclass
class RaceInput:
    name: str | None = None
    url_string: str | None = None
    is_draft: bool | None | RaceProblem = None
    street: str | None = None
    city: str | None = None
    state: str | None = None
    country_code: str | None = None
    zipcode: str | None = None
    contact_email: str | None = None
    timezone: str | None = None
    partner_id: int | None | RaceProblem = None
    partner_token: str | None = None
    timer_id: int | None | RaceProblem = None
    events: list[EventInput] | None | RaceProblem = field(default=None)


@dataclass(frozen=True)
class CreateLimit:
    """At most `limit` new races per `bucket` (a client) per window."""

    bucket: str
    limit: int
    window_seconds: int


@dataclass(frozen=True)
class EventView:
    id: int
    edition_id: int
    name: str
    start_time: datetime
    end_time: datetime | None
    event_type: str
    distance: float | None
    distance_units: str | None
    age_calc_base_date: date | None


@dataclass(frozen=True)
class EditionView:
    id: int
    events: tuple[EventView, ...]

    @property
    def first_start(self) -> datetime | None:
        """Its first event's start (local wall-clock time); None without events."""
        return timerules.first_start(self.events)

    @property
    def last_finish(self) -> datetime | None:
        """When its last event is over (local wall-clock time); None without events."""
        return timerules.last_finish(self.events)


@dataclass(frozen=True)
class RaceView:
    id: int
    name: str
    url_string: str
    is_draft: bool
    street: str | None
    city: str | None
    state: str | None
    country_code: str
    zipcode: str | None
    contact_email: str | None
    timezone: str
    owner_id: int
    partner_id: int | None
    timer_id: int | None
    created_at: datetime
    last_modified: datetime
    editions: tuple[EditionView, ...]

    def may_be_managed_by(self, actor: Actor | None) -> bool:
        return actor is not None and (actor.is_admin or actor.user_id == self.owner_id)

"""The public read API's shapes, for the OpenAPI document (the answers themselves are built
as JSON once, in views.py, and checked against these by the tests)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Key = list[list[int | str | None]]


class Runner(BaseModel):
    """A runner as the public sees it: never a birth date, chip, e-mail, phone or unique_id."""

    id: int
    bib: str | None
    first_name: str
    last_name: str
    team: str | None
    country: str | None
    gender: str | None
    state: str = Field(description="Tracx's state: before, during, paused, resumed, after, ...")
    event_id: int


class ListedRunner(Runner):
    key: Key = Field(
        description="The sort key: rows order by key[0] ascending, then key[1] in the chosen "
        "direction, then id in that direction."
    )


class ChangedRunner(Runner):
    keys: dict[str, Key] = Field(description="The sort key for each sort (bib, name, state).")
    folded_name: str = Field(
        description="First and last name folded as searches fold them (accents dropped, "
        "case folded): a search matches when it is contained here, or equals the bib."
    )


class Search(BaseModel):
    bib: str = Field(description="The search as typed, trimmed: matches a bib exactly.")
    folded: str = Field(description="The search folded: matches inside a folded name.")


class RunnerPage(BaseModel):
    edition_id: int
    cursor: str = Field(description="`<epoch>.<position>`: where this answer stands.")
    total: int
    page: int
    per_page: int
    pages: int
    sort: Literal["bib", "name", "state"]
    order: Literal["asc", "desc"]
    search: Search | None
    runners: list[ListedRunner]


class Counts(BaseModel):
    entered: int
    not_started: int
    on_course: int
    finished: int
    dnf: int
    dsq: int
    dns: int


class CountsByEvent(BaseModel):
    all: Counts
    events: dict[str, Counts]


class Event(BaseModel):
    id: int
    name: str
    start_time: str | None = Field(description="Local wall-clock time, YYYY-MM-DDTHH:MM.")
    end_time: str | None
    distance: float | None
    distance_units: str | None


class Edition(BaseModel):
    id: int
    cursor: str
    events: list[Event]
    counts: CountsByEvent


class EditionSummary(BaseModel):
    id: int
    first_start: str | None
    last_finish: str | None


class Race(BaseModel):
    id: int
    name: str
    url: str = Field(description="The race page (the RunSignup race object's `url`).")
    city: str | None
    state: str | None
    country_code: str
    timezone: str
    editions: list[EditionSummary]


class RaceWithEdition(Race):
    edition: Edition | None


class IndexedRace(BaseModel):
    id: int
    name: str
    url: str
    city: str | None
    state: str | None
    country_code: str
    edition_id: int
    first_day: str
    last_day: str


class RaceIndex(BaseModel):
    upcoming: list[IndexedRace]
    recent: list[IndexedRace]


class Changes(BaseModel):
    edition_id: int
    epoch: str
    since: int
    position: int
    cursor: str
    reset: bool = Field(description="Too much changed to list: fetch your view again.")
    reload: bool = Field(description="The edition's events changed: load the page again.")
    runners: list[ChangedRunner]
    removed: list[int]
    counts: CountsByEvent | None


class Problem(BaseModel):
    """What went wrong: a sentence, or (a path or query value of the wrong type) the list of
    FastAPI's validation errors."""

    detail: str | list[dict[str, Any]]

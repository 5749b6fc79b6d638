"""What the pages and their JSON say about races, editions and runners: the query a visitor
asks (from query parameters, strictly for the API, leniently for the HTML) and the public
JSON shapes. Both the HTML and the API build from here, so they cannot disagree."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from startline.domain.participants.vocabulary import GENDERS
from startline.domain.public.races import PublicEdition, PublicEvent, PublicRace
from startline.domain.public.runners import (
    MAX_IDS,
    MAX_PER_PAGE,
    MAX_SEARCH,
    SORTS,
    EditionChanges,
    PublicRunner,
    RunnerPage,
    RunnerQuery,
    Sort,
    search_terms,
)
from startline.domain.public.states import BUCKETS, ENTERED, Bucket

DEFAULT_PER_PAGE = 100


class BadQuery(ValueError):
    """A query parameter the API cannot use (the HTML ignores it instead)."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


@dataclass(frozen=True, slots=True)
class ListParams:
    """A visitor's view of the list: what the URL says, normalised."""

    event_id: int | None = None
    gender: str | None = None
    bucket: Bucket | None = None
    search: str | None = None
    ids: tuple[int, ...] | None = None
    sort: Sort = "bib"
    descending: bool = False
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    def query(self, edition_id: int) -> RunnerQuery:
        return RunnerQuery(
            edition_id=edition_id,
            event_id=self.event_id,
            gender=self.gender,
            bucket=self.bucket,
            search=self.search,
            ids=self.ids,
            sort=self.sort,
            descending=self.descending,
            page=self.page,
            per_page=self.per_page,
        )

    def url_params(self, **changes: Any) -> dict[str, str]:
        """Query parameters for a link to this view with some changes (defaults left out)."""
        values: dict[str, Any] = {
            "event": self.event_id,
            "gender": self.gender,
            "state": self.bucket,
            "q": self.search,
            "sort": None if self.sort == "bib" else self.sort,
            "order": "desc" if self.descending else None,
            "page": None if self.page == 1 else self.page,
            "per_page": None if self.per_page == DEFAULT_PER_PAGE else self.per_page,
        }
        values.update(changes)
        return {key: str(value) for key, value in values.items() if value not in (None, "")}


def _integer(name: str, text: str, low: int, high: int) -> int:
    if not text.isdigit() or len(text) > 10 or not low <= int(text) <= high:
        raise BadQuery(name, f"a whole number from {low} to {high}")
    return int(text)


def parse_list_params(
    params: Mapping[str, str], edition: PublicEdition, *, strict: bool
) -> ListParams:
    """The view a query string asks for. Strict (the API): a value it cannot use raises
    BadQuery. Lenient (the HTML): such a value is dropped, as if it were not there."""
    found: dict[str, Any] = {}

    def take(name: str, read: Any) -> None:
        text = params.get(name)
        if text is None or text == "":
            return
        try:
            found.update(read(text))
        except BadQuery:
            if strict:
                raise

    event_ids = {ev.id for ev in edition.events}

    def event(text: str) -> dict[str, Any]:
        value = _integer("event", text, 1, 2**31 - 1)
        if value not in event_ids:
            raise BadQuery("event", "not an event of this edition")
        return {"event_id": value}

    def gender(text: str) -> dict[str, Any]:
        if text not in GENDERS:
            raise BadQuery("gender", "one of " + ", ".join(GENDERS))
        return {"gender": text}

    def state(text: str) -> dict[str, Any]:
        if text == ENTERED:
            return {}
        if text not in BUCKETS:
            raise BadQuery("state", "one of " + ", ".join((ENTERED, *BUCKETS)))
        return {"bucket": text}

    def search(text: str) -> dict[str, Any]:
        if len(text) > 4 * MAX_SEARCH:
            raise BadQuery("q", f"at most {MAX_SEARCH} characters")
        return {"search": text} if search_terms(text) is not None else {}

    def ids(text: str) -> dict[str, Any]:
        parts = [part for part in text.split(",") if part]
        if len(parts) > MAX_IDS:
            raise BadQuery("ids", f"at most {MAX_IDS} ids")
        return {"ids": tuple(_integer("ids", part, 1, 2**31 - 1) for part in parts)}

    def sort(text: str) -> dict[str, Any]:
        if text not in SORTS:
            raise BadQuery("sort", "one of " + ", ".join(SORTS))
        return {"sort": text}

    def order(text: str) -> dict[str, Any]:
        if text not in ("asc", "desc"):
            raise BadQuery("order", "asc or desc")
        return {"descending": text == "desc"}

    take("event", event)
    take("gender", gender)
    take("state", state)
    take("q", search)
    take("ids", ids)
    take("sort", sort)
    take("order", order)
    take("page", lambda text: {"page": _integer("page", text, 1, 10**6)})
    take("per_page", lambda text: {"per_page": _integer("per_page", text, 1, MAX_PER_PAGE)})
    return ListParams(**found)


# --- JSON shapes -------------------------------------------------------------------------------


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def runner_json(runner: PublicRunner, sort: Sort | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": runner.id,
        "bib": runner.bib,
        "first_name": runner.first_name,
        "last_name": runner.last_name,
        "team": runner.team,
        "country": runner.country,
        "gender": runner.gender,
        "state": runner.state,
        "event_id": runner.event_id,
    }
    if sort is not None:
        body["key"] = list(runner.keys[sort])
    else:
        body["keys"] = {name: list(key) for name, key in runner.keys.items()}
        body["folded_name"] = runner.folded_name
    return body


def _local(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="minutes")


def event_json(ev: PublicEvent) -> dict[str, Any]:
    return {
        "id": ev.id,
        "name": ev.name,
        "start_time": _local(ev.start_time),
        "end_time": _local(ev.end_time),
        "distance": ev.distance,
        "distance_units": ev.distance_units,
    }


def counts_json(counts: Mapping[int | None, Mapping[str, int]]) -> dict[str, Any]:
    """`{"all": {...}, "events": {"<id>": {...}}}` with every bucket and `entered`."""
    return {
        "all": dict(counts[None]),
        "events": {str(key): dict(value) for key, value in counts.items() if key is not None},
    }


def race_json(race: PublicRace, base_url: str) -> dict[str, Any]:
    return {
        "id": race.id,
        "name": race.name,
        "url": base_url.rstrip("/") + race.path,
        "city": race.city,
        "state": race.state,
        "country_code": race.country_code,
        "timezone": race.timezone,
        "editions": [
            {
                "id": ed.id,
                "first_start": _local(ed.first_start),
                "last_finish": _local(ed.last_finish),
            }
            for ed in race.editions
        ],
    }


def edition_json(
    edition: PublicEdition,
    counts: Mapping[int | None, Mapping[str, int]],
    *,
    epoch: str,
    position: int,
) -> dict[str, Any]:
    return {
        "id": edition.id,
        "cursor": f"{epoch}.{position}",
        "events": [event_json(ev) for ev in edition.events],
        "counts": counts_json(counts),
    }


def page_json(
    page: RunnerPage, params: ListParams, *, edition_id: int, epoch: str, position: int
) -> dict[str, Any]:
    terms = search_terms(params.search)
    return {
        "edition_id": edition_id,
        "cursor": f"{epoch}.{position}",
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
        "pages": page.pages,
        "sort": params.sort,
        "order": "desc" if params.descending else "asc",
        "search": None if terms is None else {"bib": terms.bib, "folded": terms.folded},
        "runners": [runner_json(runner, params.sort) for runner in page.runners],
    }


def changes_json(
    changes: EditionChanges,
    counts: Mapping[int | None, Mapping[str, int]] | None,
    *,
    edition_id: int,
    epoch: str,
) -> dict[str, Any]:
    return {
        "edition_id": edition_id,
        "epoch": epoch,
        "since": changes.since,
        "position": changes.up_to,
        "cursor": f"{epoch}.{changes.up_to}",
        "reset": changes.reset,
        "reload": changes.structure,
        "runners": [runner_json(runner) for runner in changes.runners],
        "removed": changes.removed,
        "counts": None if counts is None else counts_json(counts),
    }

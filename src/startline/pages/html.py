"""The HTML pages: the index at `/`, a race page at the race's own URL (`/races/{id}`
redirects there), rendered on the server with Jinja2 so they read without JavaScript."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from startline.domain.public import races as public_races
from startline.domain.public.races import PublicEdition, PublicEvent, PublicRace
from startline.domain.public.runners import PublicRunner
from startline.domain.public.states import (
    BUCKET_OF_STATE,
    BUCKET_WORDS,
    BUCKETS,
    ENTERED,
    STATE_WORDS,
)
from startline.domain.races.urls import race_path_segments
from startline.pages import views
from startline.pages.api import PREFIX, etag_matches
from startline.pages.reader import ListView, Reader
from startline.settings import Settings

STATIC_PATH = "/static/pages"


def static_versions() -> dict[str, str]:
    """A short hash of each static file, appended to its URL so a new release is fetched."""
    folder = resources.files("startline.pages") / "static"
    return {
        item.name: hashlib.blake2b(item.read_bytes(), digest_size=6).hexdigest()
        for item in folder.iterdir()
        if item.is_file()
    }


def make_environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("startline.pages", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    versions = static_versions()
    environment.globals.update(
        static=lambda name: f"{STATIC_PATH}/{name}?v={versions.get(name, '0')}",
        day_range=day_range,
        place=place,
        distance=distance,
        edition_label=edition_label,
        state_word=lambda state: STATE_WORDS.get(state, state),
        bucket_of=lambda state: BUCKET_OF_STATE.get(state, "other"),
    )
    return environment


# --- words ---------------------------------------------------------------------------------


def day_range(first: date | None, last: date | None) -> str:
    if first is None:
        return "No date yet"
    text = first.strftime("%a %-d %b %Y")
    if last is not None and last != first:
        text += " – " + last.strftime("%a %-d %b %Y")
    return text


def place(race: PublicRace) -> str:
    return ", ".join(part for part in (race.city, race.state or race.country_code) if part)


def distance(event: PublicEvent) -> str | None:
    if event.distance is None:
        return None
    number = f"{event.distance:g}"
    if event.distance_units == "M":
        return f"{number} mile" if event.distance == 1 else f"{number} miles"
    return f"{number} km"


def edition_label(edition: PublicEdition) -> str:
    first = edition.first_start
    return first.strftime("%-d %b %Y") if first is not None else f"Edition {edition.id}"


# --- pages ---------------------------------------------------------------------------------


def build_router(reader: Reader, settings: Settings) -> APIRouter:
    environment = make_environment()
    router = APIRouter(include_in_schema=False)

    def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
        body = environment.get_template(template).render(root=_root(request), **context).encode()
        etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if status_code == 200 and etag_matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
        return HTMLResponse(body, status_code=status_code, headers=headers)

    def not_found(request: Request) -> Response:
        return render(
            request,
            "error.html",
            status_code=404,
            title="Page not found",
            message="There is no public race page here.",
        )

    @router.get("/", name="pages_index")
    async def index(request: Request) -> Response:
        race_index = await run_in_threadpool(
            reader.read, lambda session: public_races.race_index(session)
        )
        return render(request, "index.html", index=race_index)

    @router.get("/races/{race_id}", name="pages_race_by_id")
    async def race_by_id(request: Request, race_id: str) -> Response:
        if not race_id.isdigit() or len(race_id) > 10:
            return not_found(request)
        race = await run_in_threadpool(
            reader.read, lambda session: public_races.public_race(session, race_id=int(race_id))
        )
        if race is None:
            return not_found(request)
        # Temporary: the page moves when the race's city or state changes.
        return RedirectResponse(_with_query(request, race.path), status_code=307)

    @router.get("/Race/{rest:path}", name="pages_race")
    async def race_page(request: Request, rest: str) -> Response:
        url_string = rest.rstrip("/").rpartition("/")[2]
        race = await run_in_threadpool(
            reader.read,
            lambda session: public_races.public_race_by_url_string(session, url_string=url_string),
        )
        if race is None:
            return not_found(request)
        if rest != "/".join(race_path_segments(race)):
            return RedirectResponse(_with_query(request, race.path), status_code=308)
        edition_text = request.query_params.get("edition")
        if edition_text:
            chosen = (
                race.edition(int(edition_text))
                if edition_text.isdigit() and len(edition_text) <= 10
                else None
            )
        else:
            chosen = public_races.current_edition(race, datetime.now(UTC))
        if chosen is None:
            if edition_text:
                return not_found(request)
            return render(
                request,
                "error.html",
                title=race.name,
                message="This race has no events yet.",
            )
        params = views.parse_list_params(dict(request.query_params), chosen, strict=False)
        view = await run_in_threadpool(reader.list_view, race, chosen, params)
        return render(request, "race.html", **_race_context(request, view, edition_text))

    return router


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _with_query(request: Request, path: str) -> str:
    query = request.url.query
    return _root(request) + path + (f"?{query}" if query else "")


def _race_context(request: Request, view: ListView, edition_text: str | None) -> dict[str, Any]:
    race, edition, params, page = view.race, view.edition, view.params, view.page
    event_names = {ev.id: ev.name for ev in edition.events}
    counts = view.counts.get(params.event_id) if params.event_id is not None else None
    counts = counts or view.counts.get(None) or {}
    base = _root(request) + race.path
    extra = {"edition": edition_text} if edition_text else {}

    def link(**changes: Any) -> str:
        query = {**extra, **params.url_params(**changes)}
        return base + ("?" + urlencode(query) if query else "")

    def sort_link(column: str) -> dict[str, str | None]:
        """The header link of a sortable column, and how the column says it is sorted."""
        active = params.sort == column
        descending = active and not params.descending
        href = link(sort=None if column == "bib" else column, order="desc" if descending else None)
        if not active:
            return {"href": href, "aria": None, "arrow": ""}
        if params.descending:
            return {"href": href, "aria": "descending", "arrow": " ▼"}
        return {"href": href, "aria": "ascending", "arrow": " ▲"}

    first = page.runners and (page.page - 1) * page.per_page + 1
    last = (page.page - 1) * page.per_page + len(page.runners)
    summary = (
        f"Showing {first:,}–{last:,} of {page.total:,} runners"
        if page.runners
        else "No runners match."
    )
    terms = views.search_terms(params.search)
    data = {
        "race_id": race.id,
        "edition_id": edition.id,
        "cursor": f"{view.epoch}.{view.position}",
        "api": _root(request) + PREFIX,
        "event_id": params.event_id,
        "gender": params.gender,
        "state": params.bucket,
        "q": params.search or "",
        "search": None if terms is None else {"bib": terms.bib, "folded": terms.folded},
        "sort": params.sort,
        "order": "desc" if params.descending else "asc",
        "page": page.page,
        "per_page": page.per_page,
        "pages": page.pages,
        "total": page.total,
        "events": {str(k): v for k, v in event_names.items()},
        "counts": views.counts_json(view.counts),
        "state_words": STATE_WORDS,
        "bucket_of": BUCKET_OF_STATE,
    }
    first_start, last_finish = edition.first_start, edition.last_finish
    return {
        "race": race,
        "edition": edition,
        "params": params,
        "params_edition": edition_text,
        "page": page,
        "counts": counts,
        "genders": view.genders,
        "buckets": [(ENTERED, BUCKET_WORDS[ENTERED])] + [(b, BUCKET_WORDS[b]) for b in BUCKETS],
        "event_names": event_names,
        "first_day": first_start.date() if first_start else None,
        "last_day": last_finish.date() if last_finish else None,
        "summary": summary,
        "link": link,
        "sort_link": sort_link,
        "key_json": lambda runner: _key(runner, params.sort),
        "data": data,
    }


def _key(runner: PublicRunner, sort: str) -> str:
    return json.dumps(list(runner.keys[sort]), ensure_ascii=False, separators=(",", ":"))

"""The public read API under /public/v1: races, a race's edition with events and counts,
runners paginated with sort, filters and search, the delta since a position, and the SSE
stream that says when to ask for it. No credentials; public races and fields only."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from startline.domain.public import races as public_races
from startline.pages import views
from startline.pages.live import Cursor, Hub, LiveUnavailable
from startline.pages.reader import Reader
from startline.pages.schemas import Changes, Problem, RaceIndex, RaceWithEdition, RunnerPage
from startline.settings import Settings

PREFIX = "/public/v1"
JSON = "application/json"
# A page is told about changes at most this often (it fetches a delta each time).
SIGNAL_GAP_SECONDS = 0.5

Responses = dict[int | str, dict[str, Any]]
_NOT_FOUND: Responses = {404: {"model": Problem, "description": "No such public race or edition."}}
_BAD_QUERY: Responses = {422: {"model": Problem, "description": "A query parameter it cannot use."}}
_UNAVAILABLE: Responses = {
    503: {"model": Problem, "description": "The change journal cannot be read just now."}
}
_NOT_MODIFIED: Responses = {304: {"description": "Unchanged since the ETag sent in If-None-Match."}}


def not_found() -> JSONResponse:
    return JSONResponse({"detail": "Not Found"}, status_code=404)


def unavailable(message: str) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=503, headers={"Retry-After": "5"})


def bad_query(message: str) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=422)


def cached_json(request: Request, body: bytes, etag: str | None = None) -> Response:
    """The body with an ETag, or 304 when the client already has it."""
    etag = etag or '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=JSON, headers=headers)


def etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or etag in tags


def build_router(reader: Reader, hub: Hub, settings: Settings) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["public"])
    base_url = settings.base_url

    @router.get(
        "/races",
        name="public_races",
        responses={200: {"model": RaceIndex}, **_NOT_MODIFIED},
    )
    async def list_races(request: Request) -> Response:
        """Public races: upcoming (soonest first) and those of the last 60 days."""

        def read() -> bytes:
            index = reader.read(lambda session: public_races.race_index(session))
            return views.dumps(
                {
                    "upcoming": [_indexed(entry, base_url) for entry in index.upcoming],
                    "recent": [_indexed(entry, base_url) for entry in index.recent],
                }
            )

        return cached_json(request, await run_in_threadpool(read))

    @router.get(
        "/races/{race_id}",
        name="public_race",
        responses={200: {"model": RaceWithEdition}, **_NOT_MODIFIED, **_NOT_FOUND},
    )
    async def get_race(
        request: Request,
        race_id: int,
        edition: Annotated[
            int | None, Query(description="An edition of the race (default: the current one).")
        ] = None,
    ) -> Response:
        """A public race, its editions, and one edition's events and counts by state."""
        race = await run_in_threadpool(
            reader.read, lambda session: public_races.public_race(session, race_id=race_id)
        )
        if race is None:
            return not_found()
        chosen = race.edition(edition) if edition is not None else _current(race)
        if chosen is None:
            if edition is not None:
                return not_found()
            body = views.dumps({**views.race_json(race, base_url), "edition": None})
            return cached_json(request, body)
        body = await run_in_threadpool(reader.edition_body, race, chosen, base_url)
        return cached_json(request, body)

    @router.get(
        "/editions/{edition_id}/runners",
        name="public_runners",
        responses={200: {"model": RunnerPage}, **_NOT_MODIFIED, **_NOT_FOUND, **_BAD_QUERY},
    )
    async def list_runners(
        request: Request,
        edition_id: int,
        event: Annotated[int | None, Query(description="Only this event's runners.")] = None,
        gender: Annotated[str | None, Query(description="male, female or neutral.")] = None,
        state: Annotated[
            str | None,
            Query(
                description="A bucket: entered (all), not_started, on_course, finished, "
                "dnf, dsq, dns."
            ),
        ] = None,
        q: Annotated[
            str | None, Query(description="A bib (exact) or part of a name (any accents).")
        ] = None,
        ids: Annotated[
            str | None, Query(description="Only these runner ids, comma-separated (≤ 500).")
        ] = None,
        sort: Annotated[str | None, Query(description="bib (default), name or state.")] = None,
        order: Annotated[str | None, Query(description="asc (default) or desc.")] = None,
        page: Annotated[str | None, Query(description="From 1.")] = None,
        per_page: Annotated[str | None, Query(description="1 to 500, default 100.")] = None,
    ) -> Response:
        """One page of an edition's runners, with sort, filters and search."""
        race = await reader.race_of_edition(edition_id)
        edition = race.edition(edition_id) if race is not None else None
        if race is None or edition is None:
            return not_found()
        try:
            params = views.parse_list_params(_given(request.query_params), edition, strict=True)
        except views.BadQuery as exc:
            return bad_query(str(exc))
        body = await run_in_threadpool(reader.runners_page, edition, params)
        return cached_json(request, body)

    @router.get(
        "/editions/{edition_id}/changes",
        name="public_changes",
        responses={200: {"model": Changes}, **_NOT_MODIFIED, **_NOT_FOUND, **_UNAVAILABLE},
    )
    async def changes(
        request: Request,
        edition_id: int,
        since: Annotated[
            int, Query(ge=0, le=10**18, description="The position the page stands at.")
        ],
    ) -> Response:
        """The edition's runners changed after `since` (as they are now), the ids that
        left it, and the counts when anything changed. Poll it with If-None-Match when the
        stream is not available."""
        race = await reader.race_of_edition(edition_id)
        if race is None or race.edition(edition_id) is None:
            return not_found()
        try:
            delta = await reader.delta(edition_id, since)
        except LiveUnavailable as exc:
            return unavailable(str(exc))
        etag = f'"d.{hub.epoch}.{edition_id}.{since}.{delta.up_to}"'
        return cached_json(request, delta.body, etag)

    @router.get(
        "/editions/{edition_id}/stream",
        name="public_stream",
        responses={
            200: {
                "description": "Server-Sent Events: `changed` (data `{edition_id, position}`, "
                "id `<epoch>.<position>`), `reload`, `gone`, and comment keep-alives.",
                "content": {"text/event-stream": {"schema": {"type": "string"}}},
            },
            **_NOT_FOUND,
        },
    )
    async def stream(
        request: Request,
        edition_id: int,
        since: Annotated[
            str | None,
            Query(
                description="The cursor the page stands at (`<epoch>.<position>`); the "
                "Last-Event-ID header wins."
            ),
        ] = None,
    ) -> Response:
        """Says "edition N changed up to P" whenever it does, at most twice a second."""
        race = await reader.race_of_edition(edition_id)
        if race is None or race.edition(edition_id) is None:
            return not_found()
        cursor = Cursor.parse(request.headers.get("last-event-id")) or Cursor.parse(since)
        return StreamingResponse(
            _signals(reader, hub, edition_id, cursor, settings.pages_keepalive_seconds),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return router


def _given(params: Mapping[str, str]) -> dict[str, str]:
    return {key: value for key, value in params.items()}


def _current(race: public_races.PublicRace) -> public_races.PublicEdition | None:
    return public_races.current_edition(race, datetime.now(UTC))


def _indexed(entry: public_races.IndexEntry, base_url: str) -> dict[str, Any]:
    return {
        "id": entry.race.id,
        "name": entry.race.name,
        "url": base_url.rstrip("/") + entry.race.path,
        "city": entry.race.city,
        "state": entry.race.state,
        "country_code": entry.race.country_code,
        "edition_id": entry.edition.id,
        "first_day": entry.first_day.isoformat(),
        "last_day": entry.last_day.isoformat(),
    }


def _event(name: str, data: Mapping[str, Any], event_id: str | None = None) -> bytes:
    lines = [f"id: {event_id}"] if event_id is not None else []
    lines += [f"event: {name}", "data: " + json.dumps(data, separators=(",", ":"))]
    return ("\n".join(lines) + "\n\n").encode()


async def _signals(
    reader: Reader, hub: Hub, edition_id: int, cursor: Cursor | None, keepalive: float
) -> AsyncIterator[bytes]:
    """The stream of one page: a signal whenever its edition changed after where the page
    stands, spaced at least SIGNAL_GAP_SECONDS apart; a comment every `keepalive` seconds.
    Waits on an asyncio event between signals: no thread, no connection."""
    listener = hub.subscribe(edition_id)
    try:
        yield b"retry: 2000\n: connected\n\n"
        while True:
            try:
                await hub.ready()
                break
            except LiveUnavailable:
                if hub.closed:
                    return
                yield b": waiting for the journal\n\n"
        epoch = hub.epoch
        if epoch is None or hub.closed:
            return
        if cursor is not None and cursor.epoch != epoch:
            yield _event("reload", {"reason": "the journal was restored"})
            return
        position = cursor.position if cursor is not None else hub.head
        sent_at = -SIGNAL_GAP_SECONDS
        while not hub.closed:
            if hub.epoch != epoch:
                yield _event("reload", {"reason": "the journal was restored"})
                return
            listener.wake.clear()
            try:
                last = await hub.edition_last(edition_id, position)
            except LiveUnavailable:
                return  # the browser reconnects (and resumes) in a moment
            if last > position:
                pause = sent_at + SIGNAL_GAP_SECONDS - time.monotonic()
                if pause > 0:
                    await asyncio.sleep(pause)  # coalesce: the next signal says the latest
                    continue
                position, sent_at = last, time.monotonic()
                data = {"edition_id": edition_id, "position": position}
                yield _event("changed", data, f"{epoch}.{position}")
                continue
            try:
                await asyncio.wait_for(listener.wake.wait(), keepalive)
            except TimeoutError:
                if await reader.race_of_edition(edition_id) is None:
                    yield _event("gone", {"edition_id": edition_id})
                    return
                yield b": keep-alive\n\n"
    finally:
        hub.unsubscribe(listener)

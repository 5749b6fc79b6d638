"""GET /api/v1/changes: the change journal as a feed. A client follows it with the `next`
cursor of each answer; `wait` long-polls until something new arrives (async: no thread,
connection or transaction is held while waiting)."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import select

from startline.api.entities import feed_entry
from startline.api.errors import PREFIX, cursor_expired
from startline.dialects.tracx.auth import Credential, SessionTokens
from startline.dialects.tracx.errors import Errors, field_error, unprocessable
from startline.dialects.tracx.guards import authorize
from startline.dialects.tracx.routes import Authorization
from startline.domain.accounts.service import CHANGES_LIST, SCOPE_ALL
from startline.domain.changes.models import Change
from startline.domain.changes.reading import (
    CursorExpired,
    CursorInvalid,
    changes_after,
    cursor,
    journal_head,
    position_after,
)
from startline.domain.ids import filter_int
from startline.domain.races.models import Race
from startline.http.context import Services

DEFAULT_LIMIT, MAX_LIMIT, MAX_WAIT = 100, 1000, 30
# How often a long poll looks at the journal head (a cheap indexed read).
POLL_SECONDS = 0.2

_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Changes after the cursor, oldest first, and the cursor to ask from next.",
        "content": {
            "application/json": {
                "example": {
                    "changes": [
                        {
                            "position": 42,
                            "cursor": "c1.3452ec2a584ec741.42",
                            "type": "participant.updated",
                            "occurred_at": "2026-06-07T08:31:02.123456Z",
                            "race_id": 1,
                            "edition_id": 1,
                            "event_id": 2,
                            "batch_id": None,
                            "entity": {"id": 7, "unique_id": "1", "state": "during"},
                        }
                    ],
                    "next": "c1.3452ec2a584ec741.42",
                }
            }
        },
    },
    401: {"description": "No or a wrong token."},
    403: {"description": "The token lacks permissions.changes.list."},
    410: {"description": "The cursor is older than the journal keeps (or from before a restore)."},
    422: {"description": "A parameter is not valid."},
}


def build_changes_router(services: Services) -> APIRouter:
    tokens = SessionTokens(services.secret_key, services.settings.session_token_ttl_seconds)
    router = APIRouter(prefix=PREFIX, tags=["changes"])

    @router.get("/changes", name="list_changes", responses=_RESPONSES)
    async def list_changes(
        authorization: Authorization,
        after: Annotated[
            str | None, Query(description="A cursor from an earlier answer; absent: the oldest.")
        ] = None,
        limit: Annotated[
            str | None, Query(description=f"1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}).")
        ] = None,
        wait: Annotated[
            str | None,
            Query(description=f"Seconds (≤ {MAX_WAIT}) to wait for a change when none is new."),
        ] = None,
        batch_id: Annotated[
            str | None, Query(description="Only the runner changes of this batch.")
        ] = None,
    ) -> JSONResponse:
        """Every committed change to the token's races, editions, events and runners, in
        journal order: `position` only grows; `next` is the cursor to follow with."""
        credential, _ = await run_in_threadpool(
            authorize, services, tokens, authorization, CHANGES_LIST
        )
        errors: Errors = {}
        size = _bounded(limit, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT, errors)
        seconds = _bounded(wait, "wait", 0, 0, MAX_WAIT, errors)
        batch = _bounded(batch_id, "batch_id", 0, 1, 2**62, errors) if batch_id else None
        if errors:
            return unprocessable(errors)

        def read() -> dict[str, Any]:
            return _page(services, credential, after, size, batch)

        try:
            page = await run_in_threadpool(read)
            deadline = time.monotonic() + seconds
            while not page["changes"] and time.monotonic() < deadline:
                if await _head_moved(services, page["head"], deadline):
                    page = await run_in_threadpool(read)
        except CursorInvalid:
            return unprocessable({"after": ["The after field is not a valid cursor."]})
        except CursorExpired as exc:
            raise cursor_expired(exc.oldest) from exc
        return JSONResponse({"changes": page["changes"], "next": page["next"]})

    return router


async def _head_moved(services: Services, head: int, deadline: float) -> bool:
    """Sleep-poll the journal head until it passes `head` or the deadline comes."""
    while time.monotonic() < deadline:
        await asyncio.sleep(min(POLL_SECONDS, max(deadline - time.monotonic(), 0)))
        if await run_in_threadpool(_head, services) > head:
            return True
    return False


def _head(services: Services) -> int:
    with services.db.reading() as session:
        return journal_head(session)


def _page(
    services: Services, credential: Credential, after: str | None, limit: int, batch: int | None
) -> dict[str, Any]:
    with services.db.reading() as session:
        info, position = position_after(session, after)
        scope = credential.scope
        race_filter = (
            None
            if scope.kind == SCOPE_ALL
            else Change.race_id.in_(select(Race.id).where(scope.covers_race()))
        )
        rows = changes_after(
            session,
            after=position,
            limit=limit,
            race_filter=race_filter,
            batch_id=batch,
            up_to=info.head,
        )
        changes = [feed_entry(row, info.epoch) for row in rows]
    if len(rows) == limit:
        last = rows[-1].position
    else:
        # Every entry up to the head was looked at: the next page starts after it.
        last = info.head if batch is None else (rows[-1].position if rows else position)
    return {"changes": changes, "next": cursor(info.epoch, last), "head": info.head}


def _bounded(raw: str | None, name: str, default: int, low: int, high: int, errors: Errors) -> int:
    if raw is None or not raw.strip():
        return default
    value = filter_int(raw)
    if value is None:
        errors.update(field_error(name, "integer"))
        return default
    if not low <= value <= high:
        errors[name] = [f"The {name.replace('_', ' ')} field must be between {low} and {high}."]
        return default
    return value

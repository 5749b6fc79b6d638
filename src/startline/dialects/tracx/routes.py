"""The Tracx Connect endpoints under /v1/connect. Handlers are thin: check the caller, read
the body, then run the blocking work (database, validation) in the thread pool."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader

from startline.dialects.tracx import participants
from startline.dialects.tracx.auth import Credential, SessionTokens
from startline.dialects.tracx.errors import field_error, unprocessable
from startline.dialects.tracx.guards import EVENTS_LIST, RACES_LIST, STORE_MULTIPLE, authorize
from startline.dialects.tracx.openapi import (
    BATCH_BODY,
    BATCH_RESPONSES,
    EVENTS_RESPONSES,
    RACES_RESPONSES,
    SESSION_RESPONSES,
    SINGLE_BODY,
    SINGLE_RESPONSES,
)
from startline.dialects.tracx.resources import event_resource, race_resource
from startline.domain.accounts.models import ConnectToken
from startline.domain.scopes import editions_in_scope, events_in_scope
from startline.http.context import Services

# PHP's FILTER_VALIDATE_INT on a query value: optional sign, no leading zeros.
_INTEGER = re.compile(r"^[+-]?(0|[1-9][0-9]{0,18})$")

_token_header = APIKeyHeader(
    name="Authorization",
    auto_error=False,
    description="A connect token `<id>|<secret>` or a session token; `Bearer ` is optional.",
)
Authorization = Annotated[str | None, Security(_token_header)]


def build_router(services: Services) -> APIRouter:
    tokens = SessionTokens(services.secret_key, services.settings.session_token_ttl_seconds)
    router = APIRouter(prefix="/v1/connect", tags=["tracx"])

    async def guard(
        authorization: str | None, permission: str | None, *, connect_token_only: bool = False
    ) -> tuple[Credential, ConnectToken]:
        return await run_in_threadpool(
            authorize,
            services,
            tokens,
            authorization,
            permission,
            connect_token_only=connect_token_only,
        )

    @router.post("/session-token", name="tracx_session_token", responses=SESSION_RESPONSES)
    async def session_token(authorization: Authorization) -> JSONResponse:
        """Trade a connect token for a session token (a JWT, 1 hour by default)."""
        _, token = await guard(authorization, None, connect_token_only=True)
        jwt_text, expires_at = tokens.issue(token)
        return JSONResponse({"data": {"token": jwt_text, "expires_at": expires_at}})

    @router.get("/events", name="tracx_list_events", responses=EVENTS_RESPONSES)
    async def list_events(authorization: Authorization) -> JSONResponse:
        """The events (startline editions) in the token's scope."""
        credential, _ = await guard(authorization, EVENTS_LIST)

        def read() -> JSONResponse:
            with services.db.reading() as session:
                items = editions_in_scope(session, scope=credential.scope)
                body = {"data": {"items": [event_resource(item) for item in items]}}
            return JSONResponse(body)

        return await run_in_threadpool(read)

    @router.get("/races", name="tracx_list_races", responses=RACES_RESPONSES)
    async def list_races(
        authorization: Authorization,
        event_id: Annotated[str | None, Query(description="A Tracx event id")] = None,
    ) -> JSONResponse:
        """The races (startline events) of one event in the token's scope."""
        credential, _ = await guard(authorization, RACES_LIST)
        if event_id is None or not event_id.strip():
            return unprocessable(field_error("event_id", "required"))
        if not _INTEGER.match(event_id.strip()) or abs(int(event_id)) >= 2**63:
            return unprocessable(field_error("event_id", "integer"))

        def read() -> JSONResponse:
            with services.db.reading() as session:
                events = events_in_scope(session, scope=credential.scope, edition_id=int(event_id))
                body = {"data": {"items": [race_resource(event) for event in events]}}
            return JSONResponse(body)

        return await run_in_threadpool(read)

    @router.post(
        "/participant",
        name="tracx_store_participant",
        openapi_extra=SINGLE_BODY,
        responses=SINGLE_RESPONSES,
    )
    async def store_participant(request: Request, authorization: Authorization) -> JSONResponse:
        """Insert or update one participant, keyed on (event of race_id, unique_id)."""
        return await participants.store_participant(
            services,
            tokens,
            authorization,
            await request.body(),
            request.headers.get("content-type"),
            request.scope.get("query_string", b""),
        )

    @router.post(
        "/events/{event_id}/participants",
        name="tracx_store_participants",
        openapi_extra=BATCH_BODY,
        responses=BATCH_RESPONSES,
    )
    async def store_participants(
        event_id: str, request: Request, authorization: Authorization
    ) -> JSONResponse:
        """Insert or update many participants of one event, all in one transaction."""
        credential, _ = await guard(authorization, STORE_MULTIPLE)
        raw = await request.body()
        return await run_in_threadpool(
            participants.store_participants,
            services,
            credential,
            event_id,
            raw,
            request.headers.get("content-type"),
            request.scope.get("query_string", b""),
        )

    return router

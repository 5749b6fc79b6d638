"""The Tracx Connect endpoints under /v1/connect. Handlers are thin: check the caller, read
the body, then run the blocking work (database, validation) in the thread pool."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader

from startline.dialects.tracx import participants
from startline.dialects.tracx.auth import Credential, SessionTokens
from startline.dialects.tracx.body import parse_request_data
from startline.dialects.tracx.errors import Errors, field_error, unprocessable
from startline.dialects.tracx.guards import authorize
from startline.dialects.tracx.openapi import (
    BATCH_BODY,
    BATCH_RESPONSES,
    EVENTS_RESPONSES,
    RACES_QUERY,
    RACES_RESPONSES,
    SESSION_RESPONSES,
    SINGLE_BODY,
    SINGLE_RESPONSES,
)
from startline.dialects.tracx.resources import event_resource, race_resource
from startline.dialects.tracx.validation import filter_validate_int, required
from startline.domain.accounts.models import ConnectToken
from startline.domain.accounts.service import (
    EVENTS_LIST,
    PARTICIPANTS_STORE_MULTIPLE,
    RACES_LIST,
)
from startline.domain.scopes import editions_in_scope, events_in_scope
from startline.http.context import Services

_token_header = APIKeyHeader(
    name="Authorization",
    auto_error=False,
    description="A connect token `<id>|<secret>` or a session token; `Bearer ` is optional.",
)
Authorization = Annotated[str | None, Security(_token_header)]


def event_id_from_query(query_string: bytes) -> int | Errors:
    """`event_id` by Laravel's `required|integer` on the query as Laravel reads it (parse_str,
    TrimStrings, "" -> null): the id, or the 422's errors."""
    value = parse_request_data(b"", None, query_string).get("event_id")
    if not required(value):
        return field_error("event_id", "required")
    event_id = filter_validate_int(value)
    if event_id is None:
        return field_error("event_id", "integer")
    return event_id


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

    @router.get(
        "/races",
        name="tracx_list_races",
        openapi_extra=RACES_QUERY,
        responses=RACES_RESPONSES,
    )
    async def list_races(request: Request, authorization: Authorization) -> JSONResponse:
        """The races (startline events) of one event in the token's scope."""
        credential, _ = await guard(authorization, RACES_LIST)
        event_id = event_id_from_query(request.scope.get("query_string", b""))
        if not isinstance(event_id, int):
            return unprocessable(event_id)

        def read() -> JSONResponse:
            with services.db.reading() as session:
                events = events_in_scope(session, scope=credential.scope, edition_id=event_id)
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
        credential, _ = await guard(authorization, PARTICIPANTS_STORE_MULTIPLE)
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

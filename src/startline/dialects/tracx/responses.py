"""Tracx wire bodies: the Laravel-shaped error responses and the resources (participant,
event = edition, race = event) with Laravel's `YYYY-MM-DD HH:MM:SS` UTC timestamps."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match

from startline.domain.participants.models import Participant
from startline.domain.races.models import Event
from startline.domain.scopes import EditionInScope
from startline.http.context import ErrorRenderer

UNAUTHENTICATED = "Unauthenticated."
UNAUTHORIZED = "This action is unauthorized."
NOT_FOUND = "Not Found."
TOO_MANY = "Too Many Attempts."
TOO_LARGE = "The request body is too large."
SERVER_ERROR = "Server Error"


class TracxHttpError(Exception):
    """An error answer of this dialect: status, `{"message": ...}` (or a full body), headers."""

    def __init__(
        self,
        status: int,
        message: str | None = None,
        *,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message or str(status))
        self.status = status
        self.body = body if body is not None else {"message": message}
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body, status_code=self.status, headers=self.headers)


def is_tracx_path(path: str) -> bool:
    return path == "/v1" or path.startswith("/v1/")


def http_error_renderer(routes: Sequence[BaseRoute]) -> ErrorRenderer:
    """Laravel's bodies for the framework's own errors on /v1 paths (404, 405, 500...);
    `routes` are this dialect's, to name the supported methods of a 405."""

    def render(request: Request, status: int, detail: str) -> Response:
        if status == 404:
            return JSONResponse({"message": NOT_FOUND}, status_code=404)
        if status == 405:
            message = _method_not_allowed(request, routes)
            return JSONResponse({"message": message}, status_code=405)
        if status >= 500:
            return JSONResponse({"message": SERVER_ERROR}, status_code=status)
        return JSONResponse({"message": detail}, status_code=status)

    return render


def _method_not_allowed(request: Request, routes: Sequence[BaseRoute]) -> str:
    supported: set[str] = set()
    for route in routes:
        match, _ = route.matches({**request.scope, "method": "__NONE__"})
        if match is not Match.NONE:
            supported.update(getattr(route, "methods", None) or ())
    if "GET" in supported:
        supported.add("HEAD")
    order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    ordered = sorted(supported, key=lambda m: order.index(m) if m in order else len(order))
    path = request.url.path.strip("/")
    return (
        f"The {request.method} method is not supported for route {path}. "
        f"Supported methods: {', '.join(ordered)}."
    )


def timestamp(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def participant_resource(participant: Participant) -> dict[str, Any]:
    """A participant as Tracx shows it: event_id is the edition, race_id the event."""
    return {
        "id": participant.id,
        "unique_id": participant.unique_id,
        "start_number": participant.start_number,
        "chip_code": participant.chip_code,
        "event_id": participant.edition_id,
        "race_id": participant.event_id,
        "first_name": participant.first_name,
        "last_name": participant.last_name,
        "full_name": f"{participant.first_name} {participant.last_name}",
        "country_code": participant.country_code.lower() if participant.country_code else None,
        "team_name": participant.team_name,
        "date_of_birth": participant.date_of_birth.isoformat(),
        "gender": participant.gender,
        "state": participant.state,
        "created_at": timestamp(participant.created_at),
        "updated_at": timestamp(participant.updated_at),
    }


def event_resource(item: EditionInScope) -> dict[str, Any]:
    """A startline edition as a Tracx event; its name is the race's."""
    return {
        "id": item.edition.id,
        "name": item.race_name,
        "created_at": timestamp(item.edition.created_at),
        "updated_at": timestamp(item.edition.updated_at),
        "date_from": item.date_from.isoformat() if item.date_from else None,
        "date_to": item.date_to.isoformat() if item.date_to else None,
    }


def race_resource(event: Event) -> dict[str, Any]:
    """A startline event as a Tracx race (start_time: local wall-clock time of the race)."""
    return {
        "id": event.id,
        "event_id": event.edition_id,
        "name": event.name,
        "created_at": timestamp(event.created_at),
        "updated_at": timestamp(event.updated_at),
        "start_time": event.start_time.strftime("%Y-%m-%d %H:%M:%S"),
        "distance": event.distance,
    }

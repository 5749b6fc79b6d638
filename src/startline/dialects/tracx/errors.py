"""The Tracx dialect's one error table: Laravel's error bodies (401, 403, 404, 405, 413, 429,
5xx), the 422 body with its summary message, and the 422 messages of domain refusals."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match

from startline.dialects.tracx.validation.rules import MESSAGES, attribute_name, taken_message
from startline.domain.participants.errors import ParticipantClash, UnknownEvent
from startline.http.context import ErrorRenderer
from startline.http.logging import Scope

UNAUTHENTICATED = "Unauthenticated."
UNAUTHORIZED = "This action is unauthorized."
NOT_FOUND = "Not Found."
TOO_MANY = "Too Many Attempts."
TOO_LARGE = "The request body is too large."
SERVER_ERROR = "Server Error"
# Laravel's own 503 text (what `php artisan down` answers), sent with Retry-After.
UNAVAILABLE = "Service Unavailable"
INVALID = "The given data was invalid."

# Laravel's error bag: key ("race_id", "3.chip_code") -> messages in rule order.
Errors = dict[str, list[str]]


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


def too_many_items(limit: int) -> TracxHttpError:
    """A batch over `batch_max_items`: 413."""
    return TracxHttpError(413, f"The request may not contain more than {limit} participants.")


def too_large(_scope: Scope) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """The 413 of a body over its size limit, refused before it is read whole."""
    body = json.dumps({"message": TOO_LARGE}).encode()
    return 413, [(b"content-type", b"application/json")], body


# --- 422 ----------------------------------------------------------------------------------


def error_response_body(errors: Errors) -> dict[str, Any]:
    """Laravel's 422 body, with ValidationException::summarize()'s message."""
    messages = [message for field_messages in errors.values() for message in field_messages]
    if not messages:
        return {"message": INVALID, "errors": errors}
    more = len(messages) - 1
    message = messages[0]
    if more:
        message += f" (and {more} more {'error' if more == 1 else 'errors'})"
    return {"message": message, "errors": errors}


def unprocessable(errors: Errors) -> JSONResponse:
    return JSONResponse(error_response_body(errors), status_code=422)


def field_error(key: str, rule: str) -> Errors:
    """One rule's message on one key, e.g. ("event_id", "required")."""
    return {key: [MESSAGES[rule].format(attribute_name(key))]}


def _prefix(index: int, batch: bool) -> str:
    return f"{index}." if batch else ""


def clash_errors(exc: ParticipantClash, *, batch: bool) -> Errors:
    """ "The chip code has already been taken." under `chip_code` (batch: `3.chip_code`)."""
    errors: Errors = {}
    for clash in exc.clashes:
        prefix = _prefix(clash.index, batch)
        errors.setdefault(prefix + clash.field, []).append(
            taken_message(clash.field, key_prefix=prefix)
        )
    return errors


def unknown_event_errors(exc: UnknownEvent, *, batch: bool) -> Errors:
    """An event that vanished between validation and write: the race id is invalid."""
    errors: Errors = {}
    for index in exc.indexes:
        errors.update(field_error(_prefix(index, batch) + "race_id", "exists"))
    return errors


# --- the framework's own errors on /v1 paths -----------------------------------------------


def is_tracx_path(path: str) -> bool:
    return path == "/v1" or path.startswith("/v1/")


def http_error_renderer(routes: Sequence[BaseRoute]) -> ErrorRenderer:
    """Laravel's bodies for the framework's own errors on /v1 paths (404, 405, 500, 503...);
    `routes` are this dialect's, to name the supported methods of a 405."""

    def render(request: Request, status: int, detail: str) -> Response:
        if status == 404:
            return JSONResponse({"message": NOT_FOUND}, status_code=404)
        if status == 405:
            message = _method_not_allowed(request, routes)
            return JSONResponse({"message": message}, status_code=405)
        if status == 503:
            return JSONResponse({"message": UNAVAILABLE}, status_code=503)
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

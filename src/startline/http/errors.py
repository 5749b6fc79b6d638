"""Every exception that escapes a route becomes one answer in the dialect's own format and
one log record: 503 with `Retry-After` and a one-line warning when the database is
unavailable (a blip, a full disk, a read-only file), else 500 with the traceback logged once.

It sits inside the request log, so these answers carry their `X-Request-ID` like any other,
and it never re-raises, so the server adds no second, plain-text traceback."""

from __future__ import annotations

import logging

from fastapi import Request

from startline.db.unavailable import database_unavailable
from startline.http import metrics
from startline.http.context import Services, render_error
from startline.http.logging import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("startline.errors")

# Long enough for a PostgreSQL restart or a failover, short enough that a timing system
# retrying on race day loses little.
RETRY_AFTER_SECONDS = 5
UNAVAILABLE = "Service Unavailable"
SERVER_ERROR = "Internal Server Error"


class ErrorMiddleware:
    def __init__(self, app: ASGIApp, services: Services) -> None:
        self.app = app
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            request = Request(scope)
            status, detail = self._record(request, exc)
            if started:  # the answer was under way: the log has it, the client sees a cut
                return
            response = render_error(self.services, request, status, detail)
            if status == 503:
                response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            await response(scope, receive, send)

    def _record(self, request: Request, exc: Exception) -> tuple[int, str]:
        """Log the failure once and count it; the status and text to answer with."""
        fields = {
            "request_id": request.scope.get("state", {}).get("request_id"),
            "method": request.method,
            "path": request.url.path,
        }
        unavailable = database_unavailable(exc)
        if unavailable is not None:
            metrics.DATABASE_UNAVAILABLE.inc()
            logger.warning(
                "database unavailable", extra={"fields": {**fields, "reason": unavailable.reason}}
            )
            return 503, UNAVAILABLE
        metrics.UNHANDLED_ERRORS.inc()
        logger.error("unhandled error", exc_info=exc, extra={"fields": fields})
        return 500, SERVER_ERROR

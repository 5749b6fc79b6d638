"""The tracx dialect: mounted on the app by install()."""

from __future__ import annotations

import re

from fastapi import FastAPI, Request
from fastapi.responses import Response

from startline.dialects.tracx.errors import (
    TracxHttpError,
    http_error_renderer,
    is_tracx_path,
    too_large,
)
from startline.dialects.tracx.routes import build_router
from startline.http.body_limit import BodyLimit
from startline.http.context import Services

_BATCH_PATH = re.compile(r"^/v1/connect/events/[^/]+/participants/?$")


def install(app: FastAPI, services: Services) -> None:
    """Mount this dialect's routes, its Laravel-shaped errors and its body limits."""
    router = build_router(services)
    app.include_router(router)

    async def tracx_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, TracxHttpError)
        return exc.response()

    app.add_exception_handler(TracxHttpError, tracx_error)
    services.error_renderers.append((is_tracx_path, http_error_renderer(router.routes)))
    settings = services.settings
    services.body_limits.extend(
        [
            BodyLimit(
                matches=lambda path: _BATCH_PATH.match(path) is not None,
                max_bytes=settings.batch_max_bytes,
                respond=too_large,
            ),
            BodyLimit(matches=is_tracx_path, max_bytes=settings.max_body_bytes, respond=too_large),
        ]
    )

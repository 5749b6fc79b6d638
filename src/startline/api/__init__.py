"""startline's own API under /api/v1 (the change feed; CSV start lists). It speaks the Tracx
dialect's wire rules on purpose: the same tokens (`Authorization: <connect or session
token>`, `Bearer ` optional), the same 401 → 429 → 403 order and Laravel-shaped error bodies,
so one client library serves both."""

from __future__ import annotations

from fastapi import FastAPI

from startline.api.changes import build_changes_router
from startline.api.errors import is_api_path
from startline.api.startlists import CSV_PATH, build_startlists_router
from startline.dialects.tracx.errors import http_error_renderer, too_large
from startline.http.body_limit import BodyLimit
from startline.http.context import Services


def install(app: FastAPI, services: Services) -> None:
    """Mount /api/v1 (the Tracx dialect must be installed too: it handles TracxHttpError)."""
    routers = [build_changes_router(services), build_startlists_router(services)]
    for router in routers:
        app.include_router(router)
    routes = [route for router in routers for route in router.routes]
    services.error_renderers.append((is_api_path, http_error_renderer(routes)))
    # A start list upload may be as large as a Tracx batch; registered first: first match wins.
    services.body_limits.append(
        BodyLimit(
            matches=lambda path: CSV_PATH.match(path) is not None,
            max_bytes=services.settings.batch_max_bytes,
            respond=too_large,
        )
    )
    services.body_limits.append(
        BodyLimit(
            matches=is_api_path, max_bytes=services.settings.max_body_bytes, respond=too_large
        )
    )

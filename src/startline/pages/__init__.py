"""The public race pages and their read API: mounted on the app by install()."""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from startline.http.context import Services
from startline.pages import api, html
from startline.pages.live import Hub
from startline.pages.reader import Reader


def install(app: FastAPI, services: Services) -> None:
    """Mount the pages, their JSON and their static files; nothing when
    STARTLINE_PUBLIC_PAGES is off (every page is then a 404, as for an unknown race)."""
    settings = services.settings
    if not settings.public_pages:
        return
    hub = Hub(services.db, interval=settings.pages_poll_interval_seconds)
    reader = Reader(services.db, hub)
    app.state.pages_hub = hub
    app.state.pages_reader = reader
    static = resources.files("startline.pages") / "static"
    app.mount(html.STATIC_PATH, StaticFiles(directory=str(static)), name="pages-static")
    app.include_router(api.build_router(reader, hub, settings))
    app.include_router(html.build_router(reader, settings))
    app.router.add_event_handler("shutdown", hub.close)

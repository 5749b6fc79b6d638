"""What every route needs, built once per process: `request.app.state.services`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from startline.db.engine import Database
from startline.db.group_commit import GroupCommitter
from startline.domain.accounts.secrets import SecretBox
from startline.http.body_limit import BodyLimit
from startline.settings import Settings

# (request, status code, detail) -> the dialect's own error response
ErrorRenderer = Callable[[Request, int, str], Response]


@dataclass
class Services:
    settings: Settings
    db: Database
    secret_key: str
    box: SecretBox
    # Small writes that arrive while a commit is in flight share the next one (the single
    # Tracx upsert): one fsync acknowledges many of them.
    writer: GroupCommitter
    # Dialects register how HTTP errors (404, 405, 500, 503) look on the paths they own...
    error_renderers: list[tuple[Callable[[str], bool], ErrorRenderer]] = field(default_factory=list)
    # ...and their body size limits with their own 413 bodies.
    body_limits: list[BodyLimit] = field(default_factory=list)


def services_of(request: Request) -> Services:
    return request.app.state.services


def render_error(services: Services, request: Request, status: int, detail: str) -> Response:
    """The error answer in the dialect that owns the path; elsewhere (health, docs) a JSON
    body `{"detail": ...}` as FastAPI gives."""
    path = request.url.path
    for matches, render in services.error_renderers:
        if matches(path):
            return render(request, status, detail)
    return JSONResponse({"detail": detail}, status_code=status)

"""Path normalising for /rest: case-insensitive, optional trailing slash (RunSignup clients
send `/Rest/Race/`, `/rest/race`, `/REST/race` alike). Other paths pass untouched."""

from __future__ import annotations

from startline.http.logging import ASGIApp, Receive, Scope, Send

PREFIX = "/rest"


def is_rest_path(path: str) -> bool:
    lowered = path.lower()
    return lowered == PREFIX or lowered.startswith(PREFIX + "/")


def normalise(path: str) -> str:
    lowered = path.lower()
    while len(lowered) > 1 and lowered.endswith("/"):
        lowered = lowered[:-1]
    return lowered


class RestPathMiddleware:
    """Rewrites `/REST/Race/` to `/rest/race` before routing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_rest_path(scope["path"]):
            path = normalise(scope["path"])
            if path != scope["path"]:
                # In place, not on a copy: the layers outside (metrics) read the route the
                # router records in this scope.
                scope["path"] = path
                scope["raw_path"] = path.encode("utf-8")
        await self.app(scope, receive, send)

"""Refuse request bodies over a size limit with 413 before they are read whole.

A declared Content-Length over the limit is refused at once; a chunked body is counted as
it streams and refused the moment it passes the limit. Each dialect registers its own
limit and its own 413 body for the paths it owns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from startline.http.logging import ASGIApp, Message, Receive, Scope, Send


@dataclass(frozen=True)
class BodyLimit:
    matches: Callable[[str], bool]  # path -> applies?
    max_bytes: int
    respond: Callable[[Scope], tuple[int, list[tuple[bytes, bytes]], bytes]]


class BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, limits: list[BodyLimit], default_max_bytes: int) -> None:
        self.app = app
        self.limits = limits
        self.default_max_bytes = default_max_bytes

    def _limit_for(self, path: str) -> BodyLimit | None:
        for limit in self.limits:
            if limit.matches(path):
                return limit
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit_for(scope["path"])
        max_bytes = limit.max_bytes if limit else self.default_max_bytes
        declared = _content_length(scope)
        if declared is not None and declared > max_bytes:
            await self._refuse(scope, send, limit)
            return

        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not response_started:
                await self._refuse(scope, send, limit)

    async def _refuse(self, scope: Scope, send: Send, limit: BodyLimit | None) -> None:
        if limit is not None:
            status, headers, body = limit.respond(scope)
        else:
            status, headers, body = 413, [(b"content-type", b"text/plain")], b"Request too large"
        length = str(len(body)).encode()
        headers = [*headers, (b"content-length", length), (b"connection", b"close")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None

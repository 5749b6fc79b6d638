"""The RunSignup dialect: /rest routes, their error envelope, and their body limit."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response

from startline.dialects.runsignup.errors import Code, envelope, http_error
from startline.dialects.runsignup.respond import encode, error_response, query_format
from startline.dialects.runsignup.routes import router
from startline.dialects.runsignup.routing import RestPathMiddleware, is_rest_path
from startline.http.body_limit import BodyLimit
from startline.http.context import Services
from startline.http.logging import Scope


def render_http_error(request: Request, status_code: int, detail: str) -> Response:
    """HTTP failures as envelopes (errors.http_error) with HTTP 200 like every API error;
    except 299 "Service temporarily unavailable", sent as HTTP 503 (the caller adds
    Retry-After) so clients and proxies know to try again."""
    http_status = 503 if status_code == 503 else 200
    return error_response(query_format(request.url.query), http_error(status_code), http_status)


def _too_large(scope: Scope) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    fmt = query_format(scope.get("query_string", b"").decode("latin-1"))
    body, media_type = encode(fmt, envelope(Code.INVALID_SUBMISSION))
    return 413, [(b"content-type", media_type.encode())], body


def install(app: FastAPI, services: Services) -> None:
    """Mount the /rest routes, the path normaliser, the error renderer and the body limit."""
    app.include_router(router)
    app.add_middleware(RestPathMiddleware)
    services.error_renderers.append((is_rest_path, render_http_error))
    services.body_limits.append(
        BodyLimit(
            matches=is_rest_path, max_bytes=services.settings.max_body_bytes, respond=_too_large
        )
    )

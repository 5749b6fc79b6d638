"""One JSON log format for every line the server writes (ours, uvicorn's, libraries'), the
request log with a request id, and redaction of every secret that can travel in a URL or
header (RunSignup puts credentials in the query string)."""

from __future__ import annotations

import json
import logging
import logging.config
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

logger = logging.getLogger("startline.access")

SECRET_PARAMETERS = frozenset(
    {
        "api_secret",
        "tmp_secret",
        "protected_api_signature",
        "password",
        "partner_token",
        "token",
        "secret",
    }
)
REDACTED = "[redacted]"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,128}$")
_DATABASE_DETAIL = re.compile(r"^\s*(DETAIL|CONTEXT):")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def redact_query(query: str) -> str:
    """The query string with the values of secret parameters replaced."""
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode(
        [(k, REDACTED if k.lower() in SECRET_PARAMETERS else v) for k, v in pairs],
        safe="[]",
    )


class JsonFormatter(logging.Formatter):
    """One JSON object per record: UTC time with milliseconds, pid, level, logger, message,
    the record's `fields`, and a traceback (if any) as one string field."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "pid": record.process,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = scrub_database_detail(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def scrub_database_detail(text: str) -> str:
    """A traceback without PostgreSQL's DETAIL/CONTEXT lines, which quote the row's values
    (`Key (chip_code)=(...) already exists`); parameters are already hidden by the engine."""
    return "\n".join(line for line in text.split("\n") if not _DATABASE_DETAIL.match(line))


def logging_config(level: str = "info") -> dict[str, Any]:
    """A `logging.config.dictConfig` for the whole process, also given to uvicorn as its
    `log_config` so each worker of `--workers N` sets it up the same: our loggers and
    uvicorn's at `level`, everything else (SQLAlchemy, Alembic, warnings) from WARNING, all
    through one JSON handler on stderr."""
    level = level.upper()
    handler = {"handlers": ["stderr"], "level": level, "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "startline": handler,
            "uvicorn": handler,
            "uvicorn.error": {"level": level},
            # Off: it prints the query string with its secrets; our request log replaces it.
            "uvicorn.access": {"handlers": [], "propagate": False},
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
    }


def configure_logging(level: str = "info") -> None:
    logging.config.dictConfig(logging_config(level))
    logging.captureWarnings(True)


class RequestLogMiddleware:
    """Gives every request an id (echoing a sane `X-Request-ID`) and logs one line for it;
    no header values and no secret query values are logged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        path = scope["path"]  # as sent: an inner layer may normalise it in place
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if logger.isEnabledFor(logging.INFO):
                _log_request(scope, path, request_id, status, time.perf_counter() - started)


def _log_request(scope: Scope, path: str, request_id: str, status: int, seconds: float) -> None:
    client = scope.get("client")
    logger.info(
        "request",
        extra={
            "fields": {
                "request_id": request_id,
                "method": scope["method"],
                "path": path,
                "query": redact_query(scope.get("query_string", b"").decode("latin-1")),
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
                "client": client[0] if client else None,
            }
        },
    )


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            return candidate if _REQUEST_ID.match(candidate) else None
    return None

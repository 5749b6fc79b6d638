"""Which paths are /api/v1's, and its refusals beyond Tracx's table (a stale cursor)."""

from __future__ import annotations

from startline.dialects.tracx.errors import TracxHttpError

PREFIX = "/api/v1"


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def cursor_expired(oldest_cursor: str) -> TracxHttpError:
    """410: the cursor is from before a restore or older than the journal keeps."""
    return TracxHttpError(
        410,
        body={
            "message": "The cursor is older than the journal keeps. Resync, then follow the "
            "feed from oldest_cursor.",
            "oldest_cursor": oldest_cursor,
        },
    )

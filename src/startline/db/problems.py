"""What an operator should do about a database that cannot be used, in one line: a file that
is not SQLite, one that cannot be written, a full disk, a server that does not answer.

Also the start-up check that an embedded database and its directory can be written, so a
server refuses at once instead of failing on its first write."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from startline.settings import Settings, SettingsError


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def explain_database_error(exc: BaseException, settings: Settings) -> str | None:
    """One line naming the problem and its fix, or None when `exc` is not a database error."""
    if not isinstance(exc, DBAPIError):
        return None
    reason = one_line(str(exc.orig)) if exc.orig is not None else one_line(str(exc))
    if settings.is_embedded:
        return _explain_sqlite(reason, settings)
    if exc.connection_invalidated or _is_connection_failure(reason):
        return f"cannot reach the database {settings.safe_database_url}: {reason}"
    return f"database error: {reason}"


def _explain_sqlite(reason: str, settings: Settings) -> str:
    from startline.db.engine import sqlite_file

    path = sqlite_file(settings.resolved_database_url)
    lowered = reason.lower()
    if "file is not a database" in lowered or "malformed" in lowered:
        return (
            f"{path} is not a usable SQLite database ({reason}): restore a backup with "
            "`startline db restore BACKUP`, or set STARTLINE_DATA_DIR to another directory"
        )
    if "readonly" in lowered or "read-only" in lowered:
        return f"{path} cannot be written ({reason}): check the file's and its directory's owner"
    if "unable to open" in lowered:
        return f"cannot open {path} ({reason}): check that its directory exists and is writable"
    if "disk is full" in lowered or "database or disk is full" in lowered:
        return f"the disk holding {path} is full: free some space"
    if "locked" in lowered:
        return f"{path} is locked by another process ({reason}): try again when it is done"
    return f"database error on {path}: {reason}"


def _is_connection_failure(reason: str) -> bool:
    lowered = reason.lower()
    if lowered.startswith("connection") and "does not exist" in lowered:  # no such database
        return True
    return any(
        marker in lowered
        for marker in (
            "connection failed",
            "connection refused",
            "could not connect",
            "could not translate host name",
            "server closed the connection",
            "timeout expired",
            "password authentication failed",
            "no password supplied",
        )
    )


def check_writable(settings: Settings) -> None:
    """Embedded SQLite: refuse a database file or data directory that cannot be written
    (SQLite writes its -wal and -shm files beside the database)."""
    if not settings.is_embedded:
        return
    from startline.db.engine import sqlite_file

    path = sqlite_file(settings.resolved_database_url)
    if path is None:
        return
    directory = _nearest_existing(path.parent)
    if not directory.is_dir():
        raise SettingsError(
            f"cannot create the data directory {path.parent}: {directory} is a file"
        )
    if not os.access(directory, os.W_OK | os.X_OK):
        target = path.parent if directory == path.parent else directory
        raise SettingsError(
            f"the data directory {target} is not writable: fix its owner or mode, or set "
            "STARTLINE_DATA_DIR"
        )
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise SettingsError(
            f"the database {path} is not writable: fix its owner or mode (it should be 0600 "
            "and owned by the user running startline)"
        )


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path

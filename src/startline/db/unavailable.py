"""The one place that decides whether an exception means "the database is unavailable": a
lost or refused connection, a full disk, a read-only database, an exhausted pool. Callers
answer those with 503 and `Retry-After` instead of a 500; everything else stays a bug."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType

from sqlalchemy import exc as sa_exc

# SQLite primary result codes (the low byte of an extended code) that say the file cannot be
# used right now, not that the statement was wrong: PERM, BUSY, LOCKED, READONLY, IOERR, FULL,
# CANTOPEN, PROTOCOL. SQLITE_ERROR ("no such table"), CONSTRAINT, CORRUPT stay errors.
_SQLITE_UNAVAILABLE = frozenset({3, 5, 6, 8, 10, 13, 14, 15})

# PostgreSQL SQLSTATEs: whole classes (08 connection exception, 53 insufficient resources
# such as a full disk or too many connections, 58 system/I-O error) and single codes (the
# server shutting down or starting, a read-only transaction on a standby or read-only server).
_PG_UNAVAILABLE_CLASSES = frozenset({"08", "53", "58"})
_PG_UNAVAILABLE_CODES = frozenset({"57P01", "57P02", "57P03", "57P05", "25006"})

_MAX_CHAIN = 8


@dataclass(frozen=True)
class Unavailable:
    """Why the database could not be used: a short text for the log, never SQL or values."""

    reason: str


def database_unavailable(exc: BaseException) -> Unavailable | None:
    """The reason when `exc` (or what caused it) means the database is unavailable, else
    None."""
    for candidate in _causes(exc):
        found = _classify(candidate)
        if found is not None:
            return found
    return None


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, the driver error SQLAlchemy wrapped, and what it was raised from or
    during (a rollback failing after a lost connection), a few levels deep."""
    seen: set[int] = set()
    pending = [exc]
    while pending and len(seen) < _MAX_CHAIN:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        for nxt in (orig, current.__cause__, current.__context__):
            if isinstance(nxt, BaseException):
                pending.append(nxt)


def _classify(exc: BaseException) -> Unavailable | None:
    if isinstance(exc, sa_exc.TimeoutError):
        return Unavailable("connection pool exhausted: no connection became free in time")
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return Unavailable(f"connection lost: {_first_line(exc.orig)}")
    if isinstance(exc, sqlite3.Error):
        return _classify_sqlite(exc)
    psycopg = sys.modules.get("psycopg")  # not imported: cannot be one of its errors
    if psycopg is not None and isinstance(exc, psycopg.Error):
        return _classify_psycopg(exc, psycopg)
    return None


def _classify_sqlite(exc: sqlite3.Error) -> Unavailable | None:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None or code & 0xFF not in _SQLITE_UNAVAILABLE:
        return None
    name = getattr(exc, "sqlite_errorname", "SQLITE_ERROR")
    return Unavailable(f"{name}: {_first_line(exc)}")


def _classify_psycopg(exc: BaseException, psycopg: ModuleType) -> Unavailable | None:
    sqlstate: str | None = getattr(exc, "sqlstate", None)
    if sqlstate is None:
        # No server answer at all: refused, reset, closed, or a broken connection object.
        client_side = (psycopg.OperationalError, psycopg.InterfaceError)
        if isinstance(exc, client_side):
            return Unavailable(f"connection: {_first_line(exc)}")
        return None
    if sqlstate[:2] in _PG_UNAVAILABLE_CLASSES or sqlstate in _PG_UNAVAILABLE_CODES:
        return Unavailable(f"SQLSTATE {sqlstate}: {_first_line(exc)}")
    return None


def _first_line(exc: BaseException | None) -> str:
    text = str(exc).strip() if exc is not None else ""
    return text.splitlines()[0][:300] if text else type(exc).__name__

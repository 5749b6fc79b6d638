"""Engine and session factory; SQLite gets WAL, foreign keys, a busy timeout and
write transactions that take the write lock up front (BEGIN IMMEDIATE), so two
writers queue on the busy timeout instead of failing with "database is locked".
A SQLite file startline creates is private: its directory 0700, the file 0600 (SQLite
gives the -wal and -shm files the database file's mode)."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Executable, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Connections per server process (pool + overflow). PostgreSQL's default max_connections is
# 100: 5 + 10 = 15 a process leaves room for six processes and the CLI. SQLite connections
# are file handles, so its pool can be generous.
POOL_DEFAULTS = {"postgresql": (5, 10), "sqlite": (16, 32)}


def make_engine(
    url: str,
    *,
    sqlite_synchronous: str = "FULL",
    pool_size: int | None = None,
    max_overflow: int | None = None,
    **kwargs: Any,
) -> Engine:
    # Statement parameters are runners' personal data and secrets' hashes: never in an
    # exception's text, so never in a log.
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    default_size, default_overflow = POOL_DEFAULTS.get(backend, (5, 10))
    kwargs.setdefault("pool_size", default_size if pool_size is None else pool_size)
    kwargs.setdefault("max_overflow", default_overflow if max_overflow is None else max_overflow)
    if backend == "sqlite":
        return _make_sqlite_engine(url, synchronous=sqlite_synchronous, **kwargs)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def create_private_file(path: Path) -> None:
    """Create `path` (and its directory) readable by its owner only, if it does not exist."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _make_sqlite_engine(url: str, *, synchronous: str, **kwargs: Any) -> Engine:
    if synchronous not in ("FULL", "NORMAL"):
        raise ValueError(f"SQLite synchronous must be FULL or NORMAL, not {synchronous!r}")
    path = sqlite_file(url)
    if path is not None:
        create_private_file(path)
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("check_same_thread", False)
    connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" hook below issue BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # FULL (default): a commit survives power loss, not just a process crash, at the
        # price of an fsync per commit; NORMAL (WAL) survives a process crash only.
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL (None for other databases and `:memory:`)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database
    if parsed.query.get("uri") == "true" and database and database.startswith("file:"):
        database = database[len("file:") :]  # sqlite:///file:/path?mode=ro&uri=true
    if not database or database == ":memory:":
        return None
    return Path(database)


class Database:
    """One engine and its session factory; `transaction()` is the unit of work."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_engine = (
            self.engine.execution_options(sqlite_begin="DEFERRED")
            if self.is_sqlite
            else self.engine
        )
        self._read_sessions = sessionmaker(self._read_engine, expire_on_commit=False)
        # SQLite has one writer at a time. Queue this process's writers on a lock that wakes
        # the next one the moment the last commits, rather than on SQLite's busy handler,
        # which sleeps and polls (up to 100 ms a nap) and starves writers under load. Other
        # processes on the same file still meet at the busy timeout.
        self._writer: threading.RLock | None = threading.RLock() if self.is_sqlite else None
        self._write_lock: AbstractContextManager[Any] = self._writer or nullcontext()

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write transaction: committed on normal exit, rolled back on any exception."""
        with self._write_lock, self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only transaction (SQLite: no write lock taken)."""
        with self._read_sessions() as session, session.begin():
            yield session

    @property
    def sqlite_file(self) -> Path | None:
        return sqlite_file(self.url)

    def probe_write(
        self, statement: Executable, params: Mapping[str, Any], *, wait_seconds: float
    ) -> bool:
        """Run one write and roll it back: proves the database takes writes now and changes
        nothing. False when another writer held SQLite's write lock for `wait_seconds` (busy,
        not broken); any other failure raises."""
        writer = self._writer
        if writer is not None and not writer.acquire(timeout=wait_seconds):
            return False
        try:
            with self.engine.connect() as connection:
                if not self.is_sqlite:
                    _write_and_roll_back(connection, statement, params)
                    return True
                return _sqlite_probe(connection, statement, params, wait_seconds)
        finally:
            if writer is not None:
                writer.release()

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_probe(
    connection: Any, statement: Executable, params: Mapping[str, Any], wait_seconds: float
) -> bool:
    """The probe on SQLite, waiting for other processes' writers only `wait_seconds`."""
    driver = connection.connection.driver_connection
    driver.execute(f"PRAGMA busy_timeout={int(wait_seconds * 1000)}")
    try:
        _write_and_roll_back(connection, statement, params)
        return True
    except OperationalError as exc:
        if isinstance(exc.orig, sqlite3.Error) and exc.orig.sqlite_errorcode & 0xFF == 5:
            return False  # SQLITE_BUSY: another process is writing
        raise
    finally:
        driver.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


def _write_and_roll_back(connection: Any, statement: Executable, params: Mapping[str, Any]) -> None:
    transaction = connection.begin()
    try:
        connection.execute(statement, params)
    finally:
        transaction.rollback()

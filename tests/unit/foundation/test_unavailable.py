"""The one decision "this exception means the database is unavailable", on real driver
errors: SQLite's full, read-only and unopenable files, PostgreSQL's refused connection and
server states; a wrong statement, a constraint or a bug are not unavailability."""

from __future__ import annotations

import sqlite3

import psycopg
import psycopg.errors
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError, OperationalError

from startline.db.engine import make_engine
from startline.db.unavailable import database_unavailable


def _sqlite_error(tmp_path, *statements: str, uri: str | None = None) -> sqlite3.Error:
    path = tmp_path / "t.db"
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v BLOB)")
    setup.close()
    connection = (
        sqlite3.connect(uri.format(path=path), uri=True, isolation_level=None)
        if uri
        else sqlite3.connect(path, isolation_level=None)
    )
    try:
        for statement in statements:
            connection.execute(statement)
    except sqlite3.Error as exc:
        return exc
    finally:
        connection.close()
    raise AssertionError("the statements did not fail")


def test_sqlite_full_is_unavailable(tmp_path):
    exc = _sqlite_error(
        tmp_path, "PRAGMA max_page_count=1", "INSERT INTO t (v) VALUES (zeroblob(100000))"
    )
    found = database_unavailable(exc)
    assert found is not None and found.reason.startswith("SQLITE_FULL")


def test_sqlite_read_only_is_unavailable(tmp_path):
    exc = _sqlite_error(tmp_path, "INSERT INTO t (v) VALUES (1)", uri="file:{path}?mode=ro")
    found = database_unavailable(exc)
    assert found is not None and found.reason.startswith("SQLITE_READONLY")


def test_sqlite_file_that_cannot_be_opened_is_unavailable(tmp_path):
    with pytest.raises(sqlite3.Error) as caught:
        sqlite3.connect(tmp_path / "missing" / "dir" / "x.db")
    found = database_unavailable(caught.value)
    assert found is not None and found.reason.startswith("SQLITE_CANTOPEN")


def test_sqlite_statement_and_constraint_errors_are_not(tmp_path):
    assert database_unavailable(_sqlite_error(tmp_path, "SELECT * FROM no_such_table")) is None
    constraint = _sqlite_error(
        tmp_path, "INSERT INTO t (id) VALUES (1)", "INSERT INTO t (id) VALUES (1)"
    )
    assert isinstance(constraint, sqlite3.IntegrityError)
    assert database_unavailable(constraint) is None


def test_wrapped_by_sqlalchemy_and_chained(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'ro.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (id INTEGER)"))
    engine.dispose()
    read_only = create_engine(f"sqlite:///file:{tmp_path / 'ro.db'}?mode=ro&uri=true")
    with pytest.raises(OperationalError) as caught, read_only.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (1)"))
    read_only.dispose()
    assert database_unavailable(caught.value) is not None
    try:
        raise RuntimeError("while saving") from caught.value
    except RuntimeError as chained:
        assert database_unavailable(chained) is not None


def test_refused_postgresql_connection_is_unavailable():
    engine = make_engine(
        "postgresql+psycopg://postgres@127.0.0.1:1/nothing",
        connect_args={"connect_timeout": 2},
        pool_pre_ping=False,
    )
    with pytest.raises(OperationalError) as caught:
        engine.connect()
    engine.dispose()
    found = database_unavailable(caught.value)
    assert found is not None and found.reason.startswith("connection")


@pytest.mark.parametrize(
    "error",
    [
        psycopg.errors.AdminShutdown,  # the server is restarting
        psycopg.errors.CannotConnectNow,  # ...and not ready yet
        psycopg.errors.DiskFull,
        psycopg.errors.TooManyConnections,
        psycopg.errors.ReadOnlySqlTransaction,  # a standby, or a read-only database
        psycopg.errors.ConnectionFailure,
        psycopg.errors.IoError,
    ],
)
def test_postgresql_server_states_are_unavailable(error):
    found = database_unavailable(error("server said so"))
    assert found is not None and error.sqlstate in found.reason


@pytest.mark.parametrize(
    "error",
    [
        psycopg.errors.UniqueViolation,
        psycopg.errors.SyntaxError,
        psycopg.errors.DeadlockDetected,
        psycopg.errors.QueryCanceled,
    ],
)
def test_postgresql_statement_errors_are_not(error):
    assert database_unavailable(error("no")) is None


def test_client_side_psycopg_errors_without_sqlstate_are_unavailable():
    assert database_unavailable(psycopg.OperationalError("consuming input failed")) is not None
    assert database_unavailable(psycopg.InterfaceError("the connection is closed")) is not None
    assert database_unavailable(psycopg.ProgrammingError("bad call")) is None


def test_ordinary_bugs_are_not():
    assert database_unavailable(ValueError("x")) is None
    assert database_unavailable(KeyError("k")) is None


def test_engines_hide_statement_parameters(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE runners (name TEXT UNIQUE)"))
        connection.execute(text("INSERT INTO runners VALUES (:name)"), {"name": "Zoë Private"})
    with pytest.raises(IntegrityError) as caught, engine.begin() as connection:
        connection.execute(text("INSERT INTO runners VALUES (:name)"), {"name": "Zoë Private"})
    engine.dispose()
    assert "Zoë Private" not in str(caught.value)
    assert "hidden" in str(caught.value)

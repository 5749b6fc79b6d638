"""Shared fixtures. The database is chosen with `--database sqlite|postgresql` (or the
STARTLINE_TEST_DATABASE env var); PostgreSQL's URL comes from STARTLINE_TEST_PG_URL.

Each test gets an empty, fully migrated database: SQLite copies a migrated template file,
PostgreSQL truncates every table of a database migrated once per test process."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from startline.db.base import Base
from startline.db.engine import Database
from startline.db.migrate import upgrade
from startline.settings import Settings

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/startline_test"
TEST_SECRET_KEY = "test-secret-key-for-startline-tests-only"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database",
        choices=("sqlite", "postgresql"),
        default=os.environ.get("STARTLINE_TEST_DATABASE", "sqlite"),
        help="database the suite runs on",
    )


def quick() -> bool:
    """STARTLINE_TEST_QUICK=1: skip the tests marked `slow` (a fast local loop; CI runs all)."""
    return os.environ.get("STARTLINE_TEST_QUICK") == "1"


def pytest_report_header(config: pytest.Config) -> str:
    mode = ", quick: tests marked slow are skipped" if quick() else ""
    return f"startline test database: {config.getoption('--database')}{mode}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not quick():
        return
    skip = pytest.mark.skip(reason="slow (STARTLINE_TEST_QUICK=1)")
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def database_kind(request: pytest.FixtureRequest) -> str:
    return request.config.getoption("--database")


def _worker_suffix() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@contextmanager
def scratch_pg_database(suffix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database named after STARTLINE_TEST_PG_URL, dropped afterwards."""
    base = make_url(os.environ.get("STARTLINE_TEST_PG_URL", DEFAULT_PG_URL))
    name = f"{base.database}_{suffix}_{_worker_suffix()}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_url(database_kind: str) -> Iterator[str | None]:
    """A PostgreSQL database of this test process, created and migrated once."""
    if database_kind != "postgresql":
        yield None
        return
    with scratch_pg_database("suite") as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory, database_kind: str) -> Path | None:
    if database_kind != "sqlite":
        return None
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def database_url(
    database_kind: str, pg_url: str | None, sqlite_template: Path | None, tmp_path: Path
) -> Iterator[str]:
    if database_kind == "sqlite":
        assert sqlite_template is not None
        path = tmp_path / "data" / "startline.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    assert pg_url is not None
    engine = create_engine(pg_url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        # As a fresh migration leaves it: the journal's state row, a new epoch.
        connection.execute(
            text(
                "INSERT INTO journal_state (id, head, epoch, pruned_through) "
                "VALUES (1, 0, :epoch, 0)"
            ),
            {"epoch": secrets.token_hex(8)},
        )
    engine.dispose()
    yield pg_url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key=TEST_SECRET_KEY,
        race_create_limit=0,
    )


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings.resolved_database_url)
    yield database
    database.dispose()


@pytest.fixture
def app(settings: Settings, db: Database):  # type: ignore[no-untyped-def]
    from startline.app import create_app

    return create_app(settings, database=db)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client

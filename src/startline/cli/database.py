"""Opening the configured database for one command: settings read and checked, the schema
checked (the embedded SQLite one migrated), one transaction, and every failure one line.

Only what a command needs is imported: no web framework, no server, no dialect, and Alembic
only when a migration must run, so `startline partners sign` starts fast."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from startline.cli.errors import fail
from startline.cli.output import emit

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from startline.db.engine import Database
    from startline.settings import Settings


def command_settings() -> Settings:
    """The settings from the environment (a bad value: one line naming its variable)."""
    from startline.settings import load_settings

    return load_settings()


@contextmanager
def database_errors(settings: Settings) -> Iterator[None]:
    """Turn a database failure into one line that names the fix."""
    from sqlalchemy.exc import DBAPIError

    from startline.db.problems import explain_database_error

    try:
        yield
    except DBAPIError as exc:
        fail(explain_database_error(exc, settings) or f"database error: {exc.orig}")


@contextmanager
def open_database(settings: Settings) -> Iterator[Database]:
    """The configured database, writable and with this startline's schema."""
    from startline.db.engine import Database
    from startline.db.migrate import prepare_schema
    from startline.db.problems import check_writable

    check_writable(settings)
    with database_errors(settings):
        database = Database(settings.resolved_database_url, **settings.database_options())
        try:
            prepare_schema(database, settings)
            yield database
        finally:
            database.dispose()


@contextmanager
def admin_session(settings: Settings | None = None) -> Iterator[tuple[Session, Settings]]:
    """One transaction on the configured database: committed when the block ends."""
    settings = settings or command_settings()
    with (
        open_database(settings) as database,
        database_errors(settings),
        database.transaction() as session,
    ):
        yield session, settings


Action = Callable[["Session", "Settings"], dict[str, Any]]


def run(action: Action, *, as_json: bool, title: str) -> None:
    """Run `action` in one transaction and print its result."""
    with admin_session() as (session, settings):
        result = action(session, settings)
    emit(result, as_json=as_json, title=title)

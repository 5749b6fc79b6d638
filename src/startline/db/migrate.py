"""Schema migrations: apply them, and tell whether a database is up to date, behind, or
migrated by a newer startline.

Alembic is imported only to migrate: telling where a database stands reads the revision
ids from the migration files' text and the `alembic_version` table, so a CLI command that
only checks (every admin command does) stays fast."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

from startline.settings import Settings, SettingsError

if TYPE_CHECKING:
    from alembic.config import Config

    from startline.db.engine import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSIONS_DIR = MIGRATIONS_DIR / "versions"
VERSION_TABLE = "alembic_version"
# PostgreSQL: one key for "a startline migration is running" (two `db upgrade` at once wait).
UPGRADE_LOCK_KEY = 0x5374_6172_746C  # "Startl"

_REVISION = re.compile(r"^revision(?:\s*:\s*str)?\s*=\s*['\"]([0-9A-Za-z_]+)['\"]", re.M)
_DOWN_REVISION = re.compile(r"^down_revision(?:\s*:[^=\n]+)?\s*=\s*(.+)$", re.M)
_SELECT_REVISION = text("SELECT version_num FROM alembic_version")
_QUOTED = re.compile(r"['\"]([0-9A-Za-z_]+)['\"]")


class SchemaOutOfDate(SettingsError):
    """The database is behind this startline's migrations."""


class SchemaTooNew(SettingsError):
    """The database was migrated by a newer startline than this one."""


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(slug)s_%%(rev)s")
    return config


@cache
def _revision_graph() -> tuple[frozenset[str], frozenset[str]]:
    """(every revision id, the heads) read from the migration files' own text."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in VERSIONS_DIR.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found = _REVISION.search(source)
        if found is None:
            continue
        revisions.add(found[1])
        down = _DOWN_REVISION.search(source)
        if down is not None:
            parents.update(_QUOTED.findall(down[1]))
    return frozenset(revisions), frozenset(revisions - parents)


def known_revisions() -> frozenset[str]:
    return _revision_graph()[0]


def head_revision() -> str | None:
    """This startline's schema revision (one head only: CONTRIBUTING.md)."""
    heads = _revision_graph()[1]
    if len(heads) > 1:
        raise RuntimeError(f"more than one migration head: {sorted(heads)}")
    return next(iter(heads), None)


def current_revision(engine: Engine | Connection) -> str | None:
    """The database's revision, or None for a database never migrated."""
    if isinstance(engine, Connection):
        return _read_revision(engine)
    with engine.connect() as connection:
        return _read_revision(connection)


def _read_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    rows = connection.execute(_SELECT_REVISION).scalars().all()
    return rows[0] if len(rows) == 1 else None


def is_up_to_date(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()


def check_not_newer(revision: str | None) -> None:
    """Refuse a database this startline cannot know (a newer version migrated it)."""
    if revision is not None and revision not in known_revisions():
        raise SchemaTooNew(
            f"the database was migrated by a newer startline (schema revision {revision} is "
            "unknown to this version): run the newer startline, or restore a backup made "
            "with this one"
        )


def prepare_schema(db: Database, settings: Settings) -> None:
    """Embedded SQLite: apply pending migrations. Otherwise: refuse an out-of-date schema.
    Either way, refuse a database migrated by a newer startline."""
    revision = current_revision(db.engine)
    if revision == head_revision():
        return
    check_not_newer(revision)
    if settings.is_embedded:
        upgrade(settings.resolved_database_url)
        return
    raise SchemaOutOfDate("the database schema is out of date: run `startline db upgrade` first")


def upgrade(url: str, revision: str = "head", *, on_wait: Callable[[], None] | None = None) -> None:
    """Migrate to `revision`. On PostgreSQL an advisory lock makes a second concurrent
    upgrade wait for the first (`on_wait` is called if it has to), then find nothing to do."""
    from alembic import command

    from startline.db.engine import make_engine

    config = alembic_config(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            locked = connection.dialect.name == "postgresql"
            if locked:
                got = connection.execute(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": UPGRADE_LOCK_KEY}
                ).scalar_one()
                if not got:
                    if on_wait is not None:
                        on_wait()
                    connection.execute(
                        text("SELECT pg_advisory_lock(:key)"), {"key": UPGRADE_LOCK_KEY}
                    )
                connection.commit()  # the session lock outlives this transaction
            try:
                check_not_newer(_read_revision(connection))
                connection.commit()
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                connection.commit()
            finally:
                if locked:
                    connection.rollback()
                    connection.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": UPGRADE_LOCK_KEY}
                    )
                    connection.commit()
    finally:
        engine.dispose()

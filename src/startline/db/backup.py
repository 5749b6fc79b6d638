"""Backups and restores of the configured database.

SQLite: the online backup API (a consistent copy while servers write), checked with
`quick_check`; a restore replaces the database only while nothing has it open (no server
running), keeps the replaced database beside it, then migrates the restored schema to this
startline's and runs the post-restore hooks. PostgreSQL: `pg_dump` (custom format) and
`pg_restore` (or `psql` for a plain SQL dump) when installed; else one line saying how.

A restore is a cut in history: whatever remembers the database's past (the change journal's
cursors) is renewed by the hooks the caller passes (`startline db restore` passes the
domain's), run in one transaction on the restored database. The database layer knows no
domain rule itself."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from startline.db.engine import create_private_file, sqlite_file
from startline.db.migrate import check_not_newer, upgrade
from startline.settings import Settings, SettingsError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

PostRestoreHook = Callable[["Session"], object]
_PG_DUMP_MAGIC = b"PGDMP"
_VERSION_COPY = re.compile(
    r"^COPY (?:\S+\.)?alembic_version \(version_num\) FROM stdin;\n(\S+)\n", re.M
)


class BackupError(SettingsError):
    """A backup or restore that cannot be done (said in one line, with what to do)."""


@dataclass(frozen=True)
class BackupDone:
    path: Path
    database: str  # "sqlite" or "postgresql"
    schema_revision: str | None
    bytes: int


@dataclass(frozen=True)
class RestoreDone:
    source: Path
    database: str
    restored_revision: str | None
    previous_copy: Path | None  # the database as it was before, kept in the data directory


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _partial(destination: Path) -> Path:
    return destination.with_name(f".{destination.name}.partial-{os.getpid()}")


def _check_destination(destination: Path) -> None:
    if destination.exists():
        raise BackupError(f"{destination} exists: give a new file name (a backup never overwrites)")
    if not destination.parent.is_dir():
        raise BackupError(f"the directory {destination.parent} does not exist: create it first")


# --- backup -------------------------------------------------------------------------------------


def backup(settings: Settings, destination: Path) -> BackupDone:
    """Write a consistent copy of the configured database to `destination` (mode 0600)."""
    destination = destination.expanduser().absolute()
    _check_destination(destination)
    partial = _partial(destination)
    try:
        if settings.is_embedded:
            revision = _backup_sqlite(settings, partial)
            kind = "sqlite"
        else:
            revision = _backup_postgresql(settings, partial)
            kind = "postgresql"
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    return BackupDone(destination, kind, revision, destination.stat().st_size)


def _database_file(settings: Settings) -> Path:
    path = sqlite_file(settings.resolved_database_url)
    if path is None:
        raise BackupError("an in-memory database cannot be backed up")
    return path


def _backup_sqlite(settings: Settings, partial: Path) -> str | None:
    source_path = _database_file(settings)
    if not source_path.exists():
        raise BackupError(f"there is no database at {source_path} to back up")
    create_private_file(partial)
    source = sqlite3.connect(source_path, timeout=30)
    target = sqlite3.connect(partial)
    try:
        source.backup(target)  # one step: a snapshot, while writers go on (WAL)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        _check_sqlite(target, partial)
        return _sqlite_revision(target)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"cannot back up {source_path}: {exc}") from None
    finally:
        target.close()
        source.close()


def _check_sqlite(connection: sqlite3.Connection, path: Path) -> None:
    try:
        verdict = connection.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite database ({exc})") from None
    if verdict != "ok":
        raise BackupError(f"{path} is damaged (quick_check: {verdict})")


def _sqlite_revision(connection: sqlite3.Connection) -> str | None:
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return None if row is None else str(row[0])


def _postgres_tool(name: str, how: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} was not found: install the PostgreSQL client tools (for example "
            f"`apt install postgresql-client`) or run it yourself: {how}"
        )
    return found


def _libpq(settings: Settings) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and an environment carrying it (not in argv)."""
    from sqlalchemy.engine import make_url

    url = make_url(settings.resolved_database_url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run_tool(command: list[str], env: dict[str, str], what: str) -> str:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        reason = " ".join(result.stderr.split()) or f"exit code {result.returncode}"
        raise BackupError(f"{what} failed: {reason}")
    return result.stdout


def _backup_postgresql(settings: Settings, partial: Path) -> str | None:
    url, env = _libpq(settings)
    pg_dump = _postgres_tool(
        "pg_dump", f"pg_dump --format=custom --file=BACKUP '{settings.safe_database_url}'"
    )
    create_private_file(partial)  # pg_dump keeps the mode of the file it writes into
    _run_tool(
        [pg_dump, "--format=custom", "--no-owner", f"--file={partial}", f"--dbname={url}"],
        env,
        "pg_dump",
    )
    return _dump_revision(settings, partial)


def _dump_revision(settings: Settings, dump: Path) -> str | None:
    """The schema revision a PostgreSQL dump carries (its alembic_version row)."""
    with dump.open("rb") as handle:
        custom = handle.read(len(_PG_DUMP_MAGIC)) == _PG_DUMP_MAGIC
    if custom:
        _, env = _libpq(settings)
        pg_restore = _postgres_tool("pg_restore", "pg_restore --list BACKUP")
        text = _run_tool(
            [pg_restore, "--data-only", "--table=alembic_version", "--file=-", str(dump)],
            env,
            "pg_restore",
        )
    else:
        text = dump.read_text(encoding="utf-8", errors="replace")
    found = _VERSION_COPY.search(text)
    return found[1] if found else None


# --- restore ------------------------------------------------------------------------------------


def restore(
    settings: Settings, source: Path, *, hooks: Sequence[PostRestoreHook] = ()
) -> RestoreDone:
    """Replace the configured database with the backup at `source`, bring its schema up to
    this startline's, then run `hooks` in one transaction on it. Refused while the database
    is in use."""
    source = source.expanduser().absolute()
    if not source.is_file():
        raise BackupError(f"there is no backup at {source}")
    if settings.is_embedded:
        revision, previous = _restore_sqlite(settings, source)
        kind = "sqlite"
    else:
        revision, previous = _restore_postgresql(settings, source)
        kind = "postgresql"
    _after_restore(settings, hooks)
    return RestoreDone(source, kind, revision, previous)


def _after_restore(settings: Settings, hooks: Sequence[PostRestoreHook]) -> None:
    from startline.db.engine import Database

    upgrade(settings.resolved_database_url)
    database = Database(settings.resolved_database_url, **settings.database_options())
    try:
        with database.transaction() as session:
            for hook in hooks:
                hook(session)
    finally:
        database.dispose()


def _restore_sqlite(settings: Settings, source: Path) -> tuple[str | None, Path | None]:
    target_path = _database_file(settings)
    backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        _check_sqlite(backup_db, source)
        revision = _sqlite_revision(backup_db)
        if revision is None:
            raise BackupError(f"{source} is not a startline backup (no schema revision)")
        check_not_newer(revision)
        create_private_file(target_path)
        target = sqlite3.connect(target_path, timeout=1, isolation_level=None)
        try:
            _claim_sole_use(target, target_path)
            previous = _keep_previous(target, target_path)
            backup_db.backup(target)
            target.execute("PRAGMA journal_mode=WAL")
        finally:
            target.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"cannot restore {source} into {target_path}: {exc}") from None
    finally:
        backup_db.close()
    return revision, previous


def _claim_sole_use(target: sqlite3.Connection, path: Path) -> None:
    """Leaving WAL mode needs every other connection closed: it fails while a server (or
    any other process) has the database open, which is exactly when a restore must not run."""
    try:
        target.execute("PRAGMA journal_mode=DELETE").fetchone()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise BackupError(
                f"the database {path} is in use (is a startline server running?): stop every "
                "server and command using it, then restore"
            ) from None
        raise


def _keep_previous(target: sqlite3.Connection, path: Path) -> Path | None:
    if target.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
        return None  # a new, empty database: nothing to keep
    previous = path.with_name(f"{path.name}.before-restore-{_stamp()}")
    create_private_file(previous)
    copy = sqlite3.connect(previous)
    try:
        target.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        copy.close()
    return previous


def _restore_postgresql(settings: Settings, source: Path) -> tuple[str | None, Path | None]:
    from sqlalchemy import inspect, text

    from startline.db.engine import make_engine

    url, env = _libpq(settings)
    with source.open("rb") as handle:
        custom = handle.read(len(_PG_DUMP_MAGIC)) == _PG_DUMP_MAGIC
    if custom:
        tool = _postgres_tool("pg_restore", f"pg_restore --clean --dbname=URL {source}")
        _run_tool([tool, "--list", str(source)], env, "pg_restore")  # a readable dump?
        load = [tool, "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error"]
        load += [f"--dbname={url}", str(source)]
    else:
        tool = _postgres_tool("psql", f"psql --single-transaction --file={source} URL")
        load = [tool, "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1"]
        load += [f"--dbname={url}", f"--file={source}"]
    revision = _dump_revision(settings, source)
    if revision is None:
        raise BackupError(f"{source} is not a startline backup (no schema revision)")
    check_not_newer(revision)

    engine = make_engine(settings.resolved_database_url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as connection:
            others = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
            if others:
                raise BackupError(
                    f"the database is in use ({others} other connections: are startline "
                    "servers running?): stop every server and command using it, then restore"
                )
            tables = inspect(connection).get_table_names()
        previous = None
        if tables:
            settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            previous = settings.data_dir.absolute() / f"before-restore-{_stamp()}.dump"
            _backup_postgresql(settings, previous)
        with engine.begin() as connection:
            for table in tables:  # a dump restores into an empty schema, whatever it had
                connection.execute(text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
    finally:
        engine.dispose()
    _run_tool(load, env, tool.rsplit("/", 1)[-1])
    return revision, previous

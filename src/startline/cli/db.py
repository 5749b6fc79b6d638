"""`startline db`: the schema (upgrade), backups (backup, restore) and housekeeping (prune)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from startline.cli.database import admin_session, command_settings, database_errors
from startline.cli.options import JsonFlag, command_group
from startline.cli.output import emit

app = command_group("The database: schema upgrades, backup and restore, housekeeping.")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="db")


@app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending schema migrations (on PostgreSQL, before starting the servers)."""
    from startline.db.migrate import upgrade
    from startline.db.problems import check_writable

    settings = command_settings()
    check_writable(settings)

    def waiting() -> None:
        print("another `startline db upgrade` is running: waiting for it", file=sys.stderr)

    with database_errors(settings):
        upgrade(settings.resolved_database_url, on_wait=waiting)
    print("database is up to date")


@app.command("backup")
def db_backup(
    path: Annotated[Path, typer.Argument(help="The backup file to write (must not exist).")],
    as_json: JsonFlag = False,
) -> None:
    """Write a consistent backup while servers run (SQLite: its online backup API;
    PostgreSQL: pg_dump). The secret key is not in it: keep that separately."""
    from startline.db.backup import backup

    settings = command_settings()
    with database_errors(settings):
        done = backup(settings, path)
    emit(
        {
            "backup": str(done.path),
            "database": done.database,
            "schema_revision": done.schema_revision,
            "bytes": done.bytes,
        },
        as_json=as_json,
        title="backup written",
    )


@app.command("restore")
def db_restore(
    path: Annotated[Path, typer.Argument(help="A backup made by `startline db backup`.")],
    as_json: JsonFlag = False,
) -> None:
    """Replace the database with a backup. Stop every server first (refused while the
    database is in use); the replaced database is kept in the data directory."""
    from startline.db.backup import restore
    from startline.db.problems import check_writable
    from startline.domain.changes.reading import renew_epoch

    settings = command_settings()
    check_writable(settings)
    with database_errors(settings):
        # What must not survive a restore: feed cursors and stream ids handed out before it.
        done = restore(settings, path, hooks=(renew_epoch,))
    emit(
        {
            "restored": str(done.source),
            "database": done.database,
            "restored_revision": done.restored_revision,
            "previous_copy": str(done.previous_copy) if done.previous_copy else None,
        },
        as_json=as_json,
        title="database restored",
    )


@app.command("prune")
def db_prune(as_json: JsonFlag = False) -> None:
    """Delete used signature nonces, login failures and rate counters older than their
    windows (they can no longer change a decision)."""
    from startline.domain import limits
    from startline.domain.accounts import service as accounts

    with admin_session() as (session, settings):
        deleted = {
            "used_nonces": accounts.prune_used_nonces(
                session, window_seconds=settings.nonce_window_seconds
            ),
            "login_failures": accounts.prune_login_failures(
                session, window_seconds=settings.login_failure_window_seconds
            ),
            "rate_counters": limits.prune_dead_counters(session),
        }
    emit(deleted, as_json=as_json, title="deleted")

"""`startline db`: the schema (upgrade)."""

from __future__ import annotations

import sys

import typer

from startline.cli.database import command_settings, database_errors
from startline.cli.options import command_group

app = command_group("The database: schema upgrades.")


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

"""`startline changes`: the change journal's housekeeping."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from startline.cli.database import admin_session
from startline.cli.options import JsonFlag, command_group
from startline.cli.output import emit

app = command_group("The change journal behind /api/v1/changes, webhooks and the live pages.")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="changes")


@app.command("prune")
def changes_prune(
    older_than_days: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Delete entries older than this many days "
            "(default: STARTLINE_CHANGES_RETENTION_DAYS, 30).",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Delete journal entries older than the retention. Feed cursors from before them get
    410 and resync; nothing newer is touched."""
    from startline.db.base import utcnow
    from startline.domain.changes.reading import journal_info, prune

    with admin_session() as (session, settings):
        days = older_than_days or settings.changes_retention_days
        deleted = prune(session, older_than=utcnow() - timedelta(days=days))
        info = journal_info(session)
    emit(
        {"deleted": deleted, "kept_after_position": info.pruned_through, "older_than_days": days},
        as_json=as_json,
        title="journal pruned",
    )

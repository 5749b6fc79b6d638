"""`startline races`: the per-race switch of the public race pages."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from startline.cli.database import run
from startline.cli.options import JsonFlag, command_group

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from startline.settings import Settings

app = command_group("Races.")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="races")


class Switch(StrEnum):
    on = "on"
    off = "off"


@app.command("public")
def races_public(
    race_id: Annotated[int, typer.Argument(metavar="RACE", help="The race id.")],
    switch: Annotated[Switch, typer.Argument(metavar="on|off")],
    as_json: JsonFlag = False,
) -> None:
    """Show (on, the default) or hide (off) a race's public pages. Drafts are never shown."""
    from startline.domain.public.races import set_public

    def action(session: Session, settings: Settings) -> dict[str, Any]:
        done = set_public(session, race_id=race_id, public=switch is Switch.on)
        return {
            "race_id": done.race_id,
            "public": done.public,
            "changed": done.changed,
            "shown": done.shown and settings.public_pages,
            "url": settings.base_url.rstrip("/") + done.path,
        }

    run(action, as_json=as_json, title="race pages")

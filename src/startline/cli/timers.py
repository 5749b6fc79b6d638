"""`startline timers`: timer accounts and their members."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from startline.cli.database import run
from startline.cli.options import JsonFlag, command_group

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from startline.settings import Settings

app = command_group("Timer accounts.")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="timers")


@app.command("create")
def timers_create(name: str, as_json: JsonFlag = False) -> None:
    """Create a timer account."""
    from startline.domain.accounts import service as accounts

    def action(session: Session, _: Settings) -> dict[str, Any]:
        timer = accounts.create_timer(session, name=name)
        return {"timer_id": timer.id, "name": timer.name}

    run(action, as_json=as_json, title="timer created")


@app.command("add-member")
def timers_add_member(timer_id: int, email: str, as_json: JsonFlag = False) -> None:
    """Give a user access to a timer account."""
    from startline.domain.accounts import service as accounts

    def action(session: Session, _: Settings) -> dict[str, Any]:
        accounts.add_timer_member(session, timer_id=timer_id, email=email)
        return {"timer_id": timer_id, "email": accounts.normalize_email(email)}

    run(action, as_json=as_json, title="timer member added")

"""`startline keys`: permanent RunSignup API keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from startline.cli.database import admin_session, run
from startline.cli.options import JsonFlag, command_group
from startline.cli.output import emit_rows

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from startline.settings import Settings

app = command_group("RunSignup API keys.")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="keys")


@app.command("create")
def keys_create(email: str, as_json: JsonFlag = False) -> None:
    """Create a permanent API key for a user (the secret is shown only now)."""
    from startline.domain.accounts import service as accounts

    def action(session: Session, _: Settings) -> dict[str, Any]:
        issued = accounts.create_api_key(session, email=email)
        return {"api_key": issued.key, "api_secret": issued.secret}

    run(action, as_json=as_json, title="API key created")


@app.command("revoke")
def keys_revoke(api_key: str, as_json: JsonFlag = False) -> None:
    """Revoke an API key; it stops working at once."""
    from startline.domain.accounts import service as accounts

    def action(session: Session, _: Settings) -> dict[str, Any]:
        accounts.revoke_api_key(session, key=api_key)
        return {"api_key": api_key, "revoked": True}

    run(action, as_json=as_json, title="API key revoked")


@app.command("list")
def keys_list(as_json: JsonFlag = False) -> None:
    """List API keys with their owners (never their secrets)."""
    from startline.domain.accounts import service as accounts

    with admin_session() as (session, _):
        rows = [
            {
                "api_key": key.key,
                "owner": key.user.email,
                "created_at": key.created_at.isoformat(),
                "revoked": key.revoked_at is not None,
            }
            for key in accounts.list_api_keys(session)
        ]
    emit_rows(
        rows,
        as_json=as_json,
        key="keys",
        columns=(
            ("api_key", "api key"),
            ("owner", "owner"),
            ("created_at", "created"),
            ("revoked", "revoked"),
        ),
    )

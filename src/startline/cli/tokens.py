"""`startline tokens`: Tracx connect tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from startline.cli.database import admin_session, run
from startline.cli.options import JsonFlag, command_group
from startline.cli.output import emit_rows

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from startline.settings import Settings

app = command_group("Tracx connect tokens.")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="tokens")


@app.command("create")
def tokens_create(
    owner: Annotated[str, typer.Option("--owner", help="E-mail of the token's owner.")],
    permission: Annotated[
        list[str], typer.Option("--permission", help="A permission; repeat for more.")
    ],
    race: Annotated[
        list[int] | None, typer.Option("--race", help="A race in scope; repeat for more.")
    ] = None,
    timer: Annotated[int | None, typer.Option("--timer", help="Scope: a timer's races.")] = None,
    all_races: Annotated[bool, typer.Option("--all", help="Scope: every race (admins).")] = False,
    expires_in: Annotated[
        float | None, typer.Option("--expires-in", min=0.0001, help="Days until it expires.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a Tracx connect token (shown only now)."""
    from startline.domain.accounts import service as accounts

    def action(session: Session, _: Settings) -> dict[str, Any]:
        issued = accounts.create_connect_token(
            session,
            owner_email=owner,
            permissions=permission,
            race_ids=race or (),
            timer_id=timer,
            all_races=all_races,
            expires_in_days=expires_in,
        )
        return {"token_id": issued.token_id, "token": issued.token}

    run(action, as_json=as_json, title="connect token created")


@app.command("revoke")
def tokens_revoke(token_id: int, as_json: JsonFlag = False) -> None:
    """Revoke a connect token; it and its session tokens stop working at once."""
    from startline.domain.accounts import service as accounts

    def action(session: Session, _: Settings) -> dict[str, Any]:
        accounts.revoke_connect_token(session, token_id=token_id)
        return {"token_id": token_id, "revoked": True}

    run(action, as_json=as_json, title="connect token revoked")


@app.command("list")
def tokens_list(as_json: JsonFlag = False) -> None:
    """List connect tokens (never their secrets)."""
    from startline.domain.accounts import service as accounts

    with admin_session() as (session, _):
        rows = [
            {
                "token_id": token.id,
                "owner": token.owner.email,
                "permissions": sorted(token.permission_set),
                "scope": token.scope,
                "races": accounts.token_race_ids(session, token=token),
                "timer_id": token.timer_id,
                "expires_at": token.expires_at.isoformat() if token.expires_at else None,
                "revoked": token.revoked_at is not None,
            }
            for token in accounts.list_connect_tokens(session)
        ]
    shown = [  # the text table's columns: races or the timer in one, "never" for no expiry
        {**row, "races_or_timer": row["races"] or row["timer_id"], "expires": row["expires_at"]}
        for row in rows
    ]
    for row in shown:
        row["expires"] = row["expires"] or "never"
    emit_rows(
        rows if as_json else shown,
        as_json=as_json,
        key="tokens",
        columns=(
            ("token_id", "id"),
            ("owner", "owner"),
            ("scope", "scope"),
            ("races_or_timer", "races/timer"),
            ("expires", "expires"),
            ("revoked", "revoked"),
            ("permissions", "permissions"),
        ),
    )

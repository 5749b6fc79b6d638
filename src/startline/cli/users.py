"""`startline users`: user accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from startline.cli.database import admin_session, run
from startline.cli.options import JsonFlag, command_group
from startline.cli.output import emit_rows

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from startline.settings import Settings

app = command_group("User accounts.")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="users")


@app.command("create")
def users_create(
    email: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=False)],
    first_name: Annotated[str | None, typer.Option()] = None,
    last_name: Annotated[str | None, typer.Option()] = None,
    admin: Annotated[bool, typer.Option("--admin", help="Make the user an admin.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Create a user."""
    from startline.domain.accounts import service as accounts

    def action(session: Session, _: Settings) -> dict[str, Any]:
        user = accounts.create_user(
            session,
            email=email,
            password=password,
            first_name=first_name,
            last_name=last_name,
            is_admin=admin,
        )
        session.flush()
        return {"user_id": user.id, "email": user.email, "is_admin": user.is_admin}

    run(action, as_json=as_json, title="user created")


@app.command("list")
def users_list(as_json: JsonFlag = False) -> None:
    """List users (never their password hashes)."""
    from startline.domain.accounts import service as accounts

    with admin_session() as (session, _):
        rows = [
            {
                "user_id": user.id,
                "email": user.email,
                "first_name": user.first_name,
                "last_name": user.last_name,
                "is_admin": user.is_admin,
                "disabled": user.disabled_at is not None,
                "created_at": user.created_at.isoformat(),
            }
            for user in accounts.list_users(session)
        ]
    emit_rows(
        rows,
        as_json=as_json,
        key="users",
        columns=(
            ("user_id", "id"),
            ("email", "email"),
            ("first_name", "first name"),
            ("last_name", "last name"),
            ("is_admin", "admin"),
            ("disabled", "disabled"),
            ("created_at", "created"),
        ),
    )


@app.command("passwd")
def users_passwd(
    email: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    as_json: JsonFlag = False,
) -> None:
    """Set a user's password (at least 10 characters); its RunSignup logins end."""
    from startline.domain.accounts import service as accounts

    def action(session: Session, _: Settings) -> dict[str, Any]:
        user = accounts.set_password(session, email=email, password=password)
        return {"user_id": user.id, "email": user.email, "password_changed": True}

    run(action, as_json=as_json, title="password changed")


@app.command("disable")
def users_disable(email: str, as_json: JsonFlag = False) -> None:
    """Disable a user: it cannot log in, and its API keys and connect tokens stop working."""
    from startline.domain.accounts import service as accounts

    def action(session: Session, _: Settings) -> dict[str, Any]:
        user = accounts.disable_user(session, email=email)
        return {"user_id": user.id, "email": user.email, "disabled": True}

    run(action, as_json=as_json, title="user disabled")


@app.command("enable")
def users_enable(email: str, as_json: JsonFlag = False) -> None:
    """Enable a disabled user again (its keys and tokens work again)."""
    from startline.domain.accounts import service as accounts

    def action(session: Session, _: Settings) -> dict[str, Any]:
        user = accounts.enable_user(session, email=email)
        return {"user_id": user.id, "email": user.email, "disabled": False}

    run(action, as_json=as_json, title="user enabled")

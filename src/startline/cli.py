"""The `startline` command: serve, db upgrade, and the admin commands for accounts and
credentials. Every create command prints JSON with --json; secrets only at creation.
Bad input gives one line on stderr and exit code 1, never a traceback."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from startline.db.engine import Database
from startline.domain.accounts import service as accounts
from startline.domain.accounts.demo import ensure_demo
from startline.domain.accounts.secrets import SecretBox
from startline.domain.errors import DomainError
from startline.settings import Settings, SettingsError

app = typer.Typer(
    help="startline: a race-management server with RunSignup- and Tracx-compatible APIs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
keys_app = typer.Typer(help="RunSignup API keys.", no_args_is_help=True)
partners_app = typer.Typer(
    help="Registration partners and their signing identities.", no_args_is_help=True
)
timers_app = typer.Typer(help="Timer accounts.", no_args_is_help=True)
tokens_app = typer.Typer(help="Tracx connect tokens.", no_args_is_help=True)
for sub, name in (
    (db_app, "db"),
    (users_app, "users"),
    (keys_app, "keys"),
    (partners_app, "partners"),
    (timers_app, "timers"),
    (tokens_app, "tokens"),
):
    app.add_typer(sub, name=name)

stdout = Console()
JsonFlag = Annotated[bool, typer.Option("--json", help="Print a JSON object.")]


def fail(message: str) -> NoReturn:
    one_line = " ".join(message.split())  # driver messages span lines
    print(f"error: {one_line}", file=sys.stderr)
    raise typer.Exit(1)


def emit(result: dict[str, Any], *, as_json: bool, title: str) -> None:
    if as_json:
        print(json.dumps(result))
        return
    table = Table(title=title, show_header=False)
    for key, value in result.items():
        table.add_row(key, "" if value is None else str(value))
    stdout.print(table)


@contextmanager
def admin_session() -> Iterator[tuple[Session, Settings]]:
    """A transaction on the configured database, with every failure turned into one line."""
    try:
        settings = Settings()
        from startline.app import prepare_schema

        database = Database(settings.resolved_database_url, **settings.database_options())
    except SettingsError as exc:
        fail(str(exc))
    except Exception as exc:  # a malformed URL, a missing driver
        fail(f"cannot open the database: {exc}")
    try:
        prepare_schema(database, settings)
        with database.transaction() as session:
            yield session, settings
    except SettingsError as exc:
        fail(str(exc))
    except DomainError as exc:
        fail(str(exc))
    except OperationalError as exc:
        fail(f"database error: {exc.orig}")
    finally:
        database.dispose()


Action = Callable[[Session, Settings], dict[str, Any]]


def run(action: Action, *, as_json: bool, title: str) -> None:
    with admin_session() as (session, settings):
        result = action(session, settings)
    emit(result, as_json=as_json, title=title)


# --- serve and schema ------------------------------------------------------------------------


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Server processes.")] = 1,
) -> None:
    """Run the server (applies pending migrations first on the embedded SQLite default)."""
    import uvicorn

    from startline.http import serving

    try:
        settings = Settings()
        settings.resolved_secret_key()  # create the embedded key once, before any worker
        # Before the server stack is imported: the workers' shared metrics directory.
        log_config = serving.prepare(settings, host=host, port=port, workers=workers)
        from startline.app import prepare_schema

        database = Database(settings.resolved_database_url, **settings.database_options())
        try:
            prepare_schema(database, settings)
        finally:
            database.dispose()
    except SettingsError as exc:
        fail(str(exc))
    except OperationalError as exc:
        fail(f"cannot reach the database: {exc.orig}")
    uvicorn.run(
        "startline.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # our own request log redacts secrets; uvicorn's prints the query
        log_config=log_config,  # every line in our JSON, in every worker
        log_level=settings.log_level,
        timeout_graceful_shutdown=10,
        # uvicorn kills a worker that does not answer its ping within this many seconds; the
        # default 5 s killed workers still importing on a busy machine, over and over.
        timeout_worker_healthcheck=30,
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending schema migrations."""
    from startline.db.migrate import upgrade

    try:
        settings = Settings()
        upgrade(settings.resolved_database_url)
    except SettingsError as exc:
        fail(str(exc))
    except OperationalError as exc:
        fail(f"cannot reach the database: {exc.orig}")
    print("database is up to date")


# --- users and keys ------------------------------------------------------------------------


@users_app.command("create")
def users_create(
    email: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
    first_name: Annotated[str | None, typer.Option()] = None,
    last_name: Annotated[str | None, typer.Option()] = None,
    admin: Annotated[bool, typer.Option("--admin", help="Make the user an admin.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Create a user."""

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


@keys_app.command("create")
def keys_create(email: str, as_json: JsonFlag = False) -> None:
    """Create a permanent API key for a user (the secret is shown only now)."""

    def action(session: Session, _: Settings) -> dict[str, Any]:
        issued = accounts.create_api_key(session, email=email)
        return {"api_key": issued.key, "api_secret": issued.secret}

    run(action, as_json=as_json, title="API key created")


@keys_app.command("revoke")
def keys_revoke(api_key: str, as_json: JsonFlag = False) -> None:
    """Revoke an API key; it stops working at once."""

    def action(session: Session, _: Settings) -> dict[str, Any]:
        accounts.revoke_api_key(session, key=api_key)
        return {"api_key": api_key, "revoked": True}

    run(action, as_json=as_json, title="API key revoked")


# --- partners and timers ---------------------------------------------------------------------


@partners_app.command("create")
def partners_create(name: str, as_json: JsonFlag = False) -> None:
    """Create a partner with a partner token and a signing identity."""

    def action(session: Session, settings: Settings) -> dict[str, Any]:
        issued = accounts.create_partner(
            session, name=name, box=SecretBox(settings.resolved_secret_key())
        )
        return {
            "partner_id": issued.partner_id,
            "partner_token": issued.partner_token,
            "signing_id": issued.signing_id,
            "signing_secret": issued.signing_secret,
        }

    run(action, as_json=as_json, title="partner created")


@timers_app.command("create")
def timers_create(name: str, as_json: JsonFlag = False) -> None:
    """Create a timer account."""

    def action(session: Session, _: Settings) -> dict[str, Any]:
        return {"timer_id": accounts.create_timer(session, name=name).id, "name": name}

    run(action, as_json=as_json, title="timer created")


@timers_app.command("add-member")
def timers_add_member(timer_id: int, email: str, as_json: JsonFlag = False) -> None:
    """Give a user access to a timer account."""

    def action(session: Session, _: Settings) -> dict[str, Any]:
        accounts.add_timer_member(session, timer_id=timer_id, email=email)
        return {"timer_id": timer_id, "email": accounts.normalize_email(email)}

    run(action, as_json=as_json, title="timer member added")


# --- connect tokens ------------------------------------------------------------------------


@tokens_app.command("create")
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


@tokens_app.command("revoke")
def tokens_revoke(token_id: int, as_json: JsonFlag = False) -> None:
    """Revoke a connect token; it and its session tokens stop working at once."""

    def action(session: Session, _: Settings) -> dict[str, Any]:
        accounts.revoke_connect_token(session, token_id=token_id)
        return {"token_id": token_id, "revoked": True}

    run(action, as_json=as_json, title="connect token revoked")


@tokens_app.command("list")
def tokens_list(as_json: JsonFlag = False) -> None:
    """List connect tokens (never their secrets)."""
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
    if as_json:
        print(json.dumps({"tokens": rows}))
        return
    table = Table(title="connect tokens")
    for column in ("id", "owner", "scope", "races/timer", "permissions", "expires", "revoked"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row["token_id"]),
            row["owner"],
            row["scope"],
            ",".join(map(str, row["races"])) or str(row["timer_id"] or ""),
            "\n".join(row["permissions"]),
            row["expires_at"] or "never",
            "yes" if row["revoked"] else "no",
        )
    stdout.print(table)


@partners_app.command("sign")
def partners_sign(signing_id: int) -> None:
    """Print a fresh protected_api_signature for a signing identity (valid 5 minutes, once)."""
    import secrets
    import string
    import time

    from startline.dialects.runsignup.signature import sign
    from startline.domain.accounts.models import SigningIdentity

    with admin_session() as (session, settings):
        identity = session.get(SigningIdentity, signing_id)
        if identity is None or identity.revoked_at is not None:
            fail(f"no active signing identity {signing_id}")
        secret = SecretBox(settings.resolved_secret_key()).open(identity.secret_encrypted)
    alphabet = string.ascii_letters + string.digits
    nonce = "".join(secrets.choice(alphabet) for _ in range(8))
    print(sign(signing_id, secret, int(time.time()), nonce))


# --- demo ------------------------------------------------------------------------------------


@app.command()
def demo(as_json: JsonFlag = False) -> None:
    """Create (once) and print demo credentials with a first request for each API."""
    with admin_session() as (session, settings):
        server_secret = settings.resolved_secret_key()
        creds = ensure_demo(session, server_secret=server_secret, box=SecretBox(server_secret))
    base = settings.base_url.rstrip("/")
    result = {
        "email": creds.email,
        "password": creds.password,
        "user_id": creds.user_id,
        "api_key": creds.api_key,
        "api_secret": creds.api_secret,
        "partner_id": creds.partner_id,
        "partner_token": creds.partner_token,
        "signing_id": creds.signing_id,
        "signing_secret": creds.signing_secret,
        "timer_id": creds.timer_id,
        "connect_token_id": creds.connect_token_id,
        "connect_token": creds.connect_token,
        "runsignup_first_request": (
            f"curl -s -X POST -F email={creds.email} -F password={creds.password} "
            f"'{base}/rest/login?format=json'"
        ),
        "tracx_first_request": (
            f"curl -s -X POST -H 'Accept: application/json' "
            f"-H 'Authorization: {creds.connect_token}' {base}/v1/connect/session-token"
        ),
    }
    if as_json:
        print(json.dumps(result))
        return
    emit(
        {k: v for k, v in result.items() if not k.endswith("_request")},
        as_json=False,
        title="demo credentials",
    )
    print("RunSignup, log in:\n  " + result["runsignup_first_request"])
    print("Tracx, get a session token:\n  " + result["tracx_first_request"])


def main() -> None:
    app()


if __name__ == "__main__":
    main()

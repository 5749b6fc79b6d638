"""`startline demo`: create (once) and print demo credentials, with a first request for each
API, or as shell `export` lines (`--env`) for a second terminal in any directory."""

from __future__ import annotations

import json
import shlex
from typing import Annotated, Any

import typer

from startline.cli.database import admin_session, command_settings
from startline.cli.errors import fail
from startline.cli.options import JsonFlag
from startline.cli.output import emit

# The credentials `--env` exports, as the README's round trip uses them.
ENV_NAMES = (
    "email",
    "password",
    "api_key",
    "api_secret",
    "partner_token",
    "signing_id",
    "signing_secret",
    "timer_id",
    "connect_token",
)


def register(root: typer.Typer) -> None:
    root.command()(demo)


def demo(
    as_json: JsonFlag = False,
    env: Annotated[
        bool, typer.Option("--env", help="Print shell `export` lines (for `eval`).")
    ] = False,
    allow_non_embedded: Annotated[
        bool,
        typer.Option(
            "--allow-non-embedded",
            help="Also on a database other than the embedded SQLite (it creates an admin "
            "with a never-expiring all-permissions token).",
        ),
    ] = False,
) -> None:
    """Create (once) and print demo credentials with a first request for each API."""
    from startline.domain.accounts.demo import ensure_demo
    from startline.domain.accounts.secrets import SecretBox

    settings = command_settings()
    if not settings.is_embedded and not allow_non_embedded:
        fail(
            "startline demo creates an admin with a never-expiring all-permissions token: it "
            "runs on the embedded SQLite only, unless you pass --allow-non-embedded"
        )
    with admin_session(settings) as (session, settings):
        server_secret = settings.resolved_secret_key()
        creds = ensure_demo(session, server_secret=server_secret, box=SecretBox(server_secret))
    base = settings.base_url.rstrip("/")
    data_dir = str(settings.data_dir.resolve())
    result: dict[str, Any] = {
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
        "data_dir": data_dir,
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
    if env:
        print(f"export STARTLINE_DATA_DIR={shlex.quote(data_dir)}")
        for name in ENV_NAMES:
            print(f"export {name.upper()}={shlex.quote(str(result[name]))}")
        return
    emit(
        {k: v for k, v in result.items() if not k.endswith("_request")},
        as_json=False,
        title="demo credentials",
    )
    print(f"Data directory: {data_dir}")
    print("RunSignup, log in:\n  " + result["runsignup_first_request"])
    print("Tracx, get a session token:\n  " + result["tracx_first_request"])

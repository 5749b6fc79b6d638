"""Every CLI command on the database under test, its JSON output and its error cases."""

import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from startline.cli import app
from startline.domain.accounts.models import ApiKey, ConnectToken, TimerMember, User
from startline.domain.accounts.service import authenticate_connect_token
from tests.support.cli import fails_with, ok_json

PW = "long-enough-pw"


def test_users_create(cli, db):
    out = ok_json(
        cli(
            "users",
            "create",
            "Ann@Example.com",
            "--password",
            PW,
            "--first-name",
            "Ann",
            "--last-name",
            "Lee",
            "--admin",
            "--json",
        )
    )
    assert out["email"] == "ann@example.com" and out["is_admin"] is True
    with db.reading() as session:
        user = session.get(User, out["user_id"])
        assert user.first_name == "Ann" and user.password_hash.startswith("$argon2")


def test_users_create_errors(cli):
    ok_json(cli("users", "create", "a@example.com", "--password", PW, "--json"))
    fails_with(cli("users", "create", "A@example.com", "--password", PW), "already exists")
    fails_with(cli("users", "create", "not-an-email", "--password", PW), "not a valid e-mail")


def test_readable_output_without_json(cli):
    result = cli("users", "create", "a@example.com", "--password", PW)
    assert result.exit_code == 0 and "a@example.com" in result.stdout
    with pytest.raises(json.JSONDecodeError):
        json.loads(result.stdout)


def test_keys_create_and_revoke(cli, db):
    ok_json(cli("users", "create", "a@example.com", "--password", PW, "--json"))
    out = ok_json(cli("keys", "create", "a@example.com", "--json"))
    assert set(out) == {"api_key", "api_secret"}
    fails_with(cli("keys", "create", "nobody@example.com"), "no user")
    assert ok_json(cli("keys", "revoke", out["api_key"], "--json"))["revoked"] is True
    fails_with(cli("keys", "revoke", out["api_key"]), "no active API key")
    with db.reading() as session:
        key = session.execute(select(ApiKey)).scalar_one()
        assert key.revoked_at is not None and out["api_secret"] not in key.secret_hash


def test_partners_create(cli):
    out = ok_json(cli("partners", "create", "Acme Registration", "--json"))
    assert set(out) == {"partner_id", "partner_token", "signing_id", "signing_secret"}


def test_timers(cli, db):
    ok_json(cli("users", "create", "t@example.com", "--password", PW, "--json"))
    timer = ok_json(cli("timers", "create", "Fast Timing", "--json"))
    ok_json(cli("timers", "add-member", str(timer["timer_id"]), "t@example.com", "--json"))
    ok_json(cli("timers", "add-member", str(timer["timer_id"]), "t@example.com", "--json"))
    fails_with(cli("timers", "add-member", "999", "t@example.com"), "no timer account")
    fails_with(cli("timers", "add-member", str(timer["timer_id"]), "x@example.com"), "no user")
    with db.reading() as session:
        assert len(session.execute(select(TimerMember)).all()) == 1


def test_tokens_create_list_revoke(cli, db):
    ok_json(cli("users", "create", "admin@example.com", "--password", PW, "--admin", "--json"))
    ok_json(cli("users", "create", "u@example.com", "--password", PW, "--json"))
    timer = ok_json(cli("timers", "create", "T", "--json"))
    out = ok_json(
        cli(
            "tokens",
            "create",
            "--owner",
            "admin@example.com",
            "--permission",
            "permissions.events.list",
            "--permission",
            "permissions.participants.store",
            "--all",
            "--expires-in",
            "30",
            "--json",
        )
    )
    assert out["token"].startswith(f"{out['token_id']}|")
    timer_token = ok_json(
        cli(
            "tokens",
            "create",
            "--owner",
            "u@example.com",
            "--permission",
            "permissions.races.list",
            "--timer",
            str(timer["timer_id"]),
            "--json",
        )
    )
    listed = ok_json(cli("tokens", "list", "--json"))["tokens"]
    assert [t["scope"] for t in listed] == ["all", "timer"]
    assert out["token"].split("|")[1] not in json.dumps(listed)
    assert ok_json(cli("tokens", "revoke", str(out["token_id"]), "--json"))["revoked"]
    fails_with(cli("tokens", "revoke", str(out["token_id"])), "no active connect token")
    with db.reading() as session:
        assert authenticate_connect_token(session, plaintext=out["token"]) is None
        assert authenticate_connect_token(session, plaintext=timer_token["token"]) is not None
        assert session.get(ConnectToken, out["token_id"]).expires_at is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--permission", "permissions.nope", "--all"], "unknown permission"),
        (["--permission", "permissions.events.list"], "exactly one scope"),
        (["--permission", "permissions.events.list", "--all", "--timer", "1"], "exactly one"),
        (["--permission", "permissions.events.list", "--race", "424242"], "no race"),
        (["--permission", "permissions.events.list", "--timer", "424242"], "no timer"),
    ],
)
def test_tokens_create_errors(cli, args, message):
    ok_json(cli("users", "create", "admin@example.com", "--password", PW, "--admin", "--json"))
    fails_with(cli("tokens", "create", "--owner", "admin@example.com", *args), message)


def test_all_scope_needs_an_admin(cli):
    ok_json(cli("users", "create", "u@example.com", "--password", PW, "--json"))
    fails_with(
        cli(
            "tokens",
            "create",
            "--owner",
            "u@example.com",
            "--permission",
            "permissions.events.list",
            "--all",
        ),
        "admin",
    )
    fails_with(
        cli(
            "tokens",
            "create",
            "--owner",
            "ghost@example.com",
            "--permission",
            "permissions.events.list",
            "--all",
        ),
        "no user",
    )


@pytest.fixture
def demo_flags(database_kind):
    """`demo` runs on another database than the embedded SQLite only when told to."""
    return ["--allow-non-embedded"] if database_kind == "postgresql" else []


def test_demo_is_idempotent_and_prints_working_credentials(cli, db, demo_flags):
    first = ok_json(cli("demo", "--json", *demo_flags))
    second = ok_json(cli("demo", "--json", *demo_flags))
    assert first == second
    for key in (
        "email",
        "password",
        "api_key",
        "api_secret",
        "partner_token",
        "signing_id",
        "signing_secret",
        "timer_id",
        "connect_token",
        "runsignup_first_request",
        "tracx_first_request",
    ):
        assert first[key]
    with db.reading() as session:
        assert len(session.execute(select(User)).all()) == 1
        assert len(session.execute(select(ApiKey)).all()) == 1
        assert authenticate_connect_token(session, plaintext=first["connect_token"]) is not None
    readable = cli("demo", *demo_flags)
    assert readable.exit_code == 0 and "/v1/connect/session-token" in readable.stdout
    assert f"Data directory: {first['data_dir']}" in readable.stdout


def test_demo_refuses_a_non_embedded_database_unless_told(cli, database_kind):
    if database_kind != "postgresql":
        pytest.skip("the embedded SQLite is where demo runs without a flag")
    fails_with(cli("demo"), "--allow-non-embedded")
    with_flag = ok_json(cli("demo", "--json", "--allow-non-embedded"))
    assert with_flag["connect_token"]


def test_demo_env_exports_quoted_shell_lines(cli, cli_env, demo_flags, tmp_path):
    import subprocess

    out = cli("demo", "--env", *demo_flags)
    assert out.exit_code == 0, out.output
    lines = out.stdout.strip().splitlines()
    assert all(line.startswith("export ") for line in lines)
    # The shell reads back exactly the values --json prints, the data directory absolute.
    shell = subprocess.run(
        [
            "sh",
            "-c",
            out.stdout + 'printf "%s\\n" "$STARTLINE_DATA_DIR" "$CONNECT_TOKEN" "$API_SECRET"',
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    values = ok_json(cli("demo", "--json", *demo_flags))
    assert shell.stdout.splitlines() == [
        values["data_dir"],
        values["connect_token"],
        values["api_secret"],
    ]
    assert values["data_dir"].startswith("/")


def test_db_upgrade(cli):
    result = cli("db", "upgrade")
    assert result.exit_code == 0 and "up to date" in result.stdout


def test_unreachable_database_is_one_line(tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["users", "create", "a@example.com", "--password", PW],
        env={
            "STARTLINE_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
            "STARTLINE_SECRET_KEY": "k",
        },
    )
    fails_with(result, "database")


def test_postgres_without_secret_key_is_one_line():
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["serve"],
        env={
            "STARTLINE_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
            "STARTLINE_SECRET_KEY": "",
        },
    )
    fails_with(result, "STARTLINE_SECRET_KEY")


def test_partners_sign_prints_a_valid_signature(cli, app, db):
    from startline.dialects.runsignup.signature import verify

    partner = ok_json(cli("partners", "create", "P", "--json"))
    result = cli("partners", "sign", str(partner["signing_id"]))
    assert result.exit_code == 0, result.output
    signature = result.stdout.strip()
    with db.transaction() as session:
        signer = verify(
            session,
            signature,
            box=app.state.services.box,
            window_seconds=300,
            nonce_window_seconds=900,
        )
    assert signer.partner_id == partner["partner_id"]
    fails_with(cli("partners", "sign", "4242"), "no active signing identity")

"""No CLI output cuts a value: a secret is shown once, so it appears whole on one line in a
pipe, a file and a 40-column terminal; list tables keep every e-mail and permission whole."""

import os
import subprocess

import pytest

from startline.domain.accounts import service as accounts
from tests.support.cli import ok_json
from tests.support.startline_command import run_in_terminal, run_startline, startline_script

LONG_EMAIL = "a.very.long.name.for.an.operator.account@timing-company.example.com"


def _value_line(output: str, key: str) -> str:
    """The value printed for `key` in the text output (`  key  value`)."""
    lines = [line.split() for line in output.splitlines() if line.strip().startswith(key + " ")]
    assert len(lines) == 1, output
    assert len(lines[0]) == 2, output  # the key and the whole value, nothing else
    return lines[0][1]


def _assert_partner_token_works(db, token: str) -> None:
    with db.reading() as session:
        assert accounts.find_partner_by_token(session, token=token) is not None


@pytest.mark.parametrize("columns", ["40", "200"])
def test_partners_create_in_a_pipe_prints_whole_secrets(cli_env, db, columns):
    result = run_startline("partners", "create", "Acme", env={**cli_env, "COLUMNS": columns})
    assert result.returncode == 0, result.stderr
    token = _value_line(result.stdout, "partner_token")
    assert "…" not in result.stdout and len(token) >= 50
    _assert_partner_token_works(db, token)
    assert len(_value_line(result.stdout, "signing_secret")) >= 40


def test_partners_create_into_a_file(cli_env, db, tmp_path):
    out = tmp_path / "partner.txt"
    with out.open("w") as handle:
        subprocess.run(
            [startline_script(), "partners", "create", "Acme"],
            env={**os.environ, **cli_env},
            stdout=handle,
            check=True,
        )
    _assert_partner_token_works(db, _value_line(out.read_text(), "partner_token"))


def test_partners_create_in_a_40_column_terminal(cli_env, db):
    # A forced terminal too: libraries that honour these would draw for 40 columns.
    env = {**cli_env, "FORCE_COLOR": "1", "TTY_COMPATIBLE": "1", "TERM": "xterm"}
    output = run_in_terminal("partners", "create", "Acme", env=env, columns=40)
    token = _value_line(output, "partner_token")
    _assert_partner_token_works(db, token)
    assert "…" not in output


def test_tokens_list_keeps_emails_and_permissions_whole(cli, cli_env):
    ok_json(cli("users", "create", LONG_EMAIL, "--password", "long-enough-pw", "--admin", "--json"))
    permissions = list(accounts.PERMISSIONS)
    args = [f"--permission={p}" for p in permissions]
    ok_json(cli("tokens", "create", "--owner", LONG_EMAIL, *args, "--all", "--json"))
    for output in (
        run_startline("tokens", "list", env={**cli_env, "COLUMNS": "40"}).stdout,
        run_in_terminal("tokens", "list", env=cli_env, columns=40),
    ):
        assert "…" not in output
        row = [line for line in output.splitlines() if LONG_EMAIL in line]
        assert len(row) == 1, output  # the whole token on one line
        assert ",".join(sorted(permissions)) in row[0]


def test_users_list_in_a_narrow_terminal(cli, cli_env):
    ok_json(cli("users", "create", LONG_EMAIL, "--password", "long-enough-pw", "--json"))
    output = run_in_terminal("users", "list", env=cli_env, columns=40)
    assert len([line for line in output.splitlines() if LONG_EMAIL in line]) == 1


def test_text_output_escapes_control_characters():
    from startline.cli.output import text

    assert text("a\nb\x1b[31m") == "a\\x0ab\\x1b[31m"
    assert text(["x", "y"]) == "x,y" and text(None) == "" and text(True) == "yes"

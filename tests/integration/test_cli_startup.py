"""Every CLI command starts fast: the server stack (web framework, server, dialects,
migrations) is imported only by `serve` and `db upgrade`, never by an admin command. Checked
on the modules a real run loads, not on timings (speed lives in bench/)."""

import json
import os
import subprocess
import sys

from tests.support.cli import ok_json

SERVER_STACK = (
    "fastapi",
    "starlette",
    "uvicorn",
    "alembic",
    "rich",
    "startline.app",
    "startline.dialects",
    "startline.http",
)

PROBE = """
import json, sys
from startline.cli import main
sys.argv = ["startline", *sys.argv[1:]]
try:
    main()
    code = 0
except SystemExit as exc:
    code = exc.code
loaded = sorted({name.split(".")[0] if not name.startswith("startline") else name
                 for name in sys.modules})
print(json.dumps({"code": code, "loaded": loaded}), file=sys.stderr)
"""


def loaded_modules(env: dict[str, str], *args: str) -> tuple[int, set[str], str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    report = json.loads(result.stderr.strip().splitlines()[-1])
    return report["code"], set(report["loaded"]), result.stdout


def server_stack_in(loaded: set[str]) -> list[str]:
    return [
        name
        for name in SERVER_STACK
        if name in loaded or any(m.startswith(name + ".") for m in loaded)
    ]


def test_partners_sign_does_not_import_the_server_stack(cli, cli_env):
    partner = ok_json(cli("partners", "create", "P", "--json"))
    code, loaded, stdout = loaded_modules(cli_env, "partners", "sign", str(partner["signing_id"]))
    assert code == 0 and stdout.count(".") == 3  # a signature was printed
    assert "sqlalchemy" in loaded  # the probe sees what the command really loaded
    assert server_stack_in(loaded) == []
    assert "argon2" not in loaded  # no password hashing for a signature


def test_tokens_list_does_not_import_the_server_stack(cli, cli_env):
    code, loaded, _ = loaded_modules(cli_env, "tokens", "list")
    assert code == 0
    assert server_stack_in(loaded) == []


def test_version_loads_neither_the_database_nor_settings():
    code, loaded, stdout = loaded_modules({}, "--version")
    assert code == 0 and stdout.startswith("startline ")
    assert "sqlalchemy" not in loaded and "pydantic_settings" not in loaded


def test_participants_export_does_not_import_the_server_stack(cli, cli_env):
    code, loaded, stdout = loaded_modules(cli_env, "participants", "export", "--edition", "1")
    assert code == 1 and stdout == ""  # no such edition: the command ran to the database
    assert "sqlalchemy" in loaded
    assert server_stack_in(loaded) == []  # rich too: a progress bar only on a terminal


def test_races_list_and_participants_delete_do_not_import_the_server_stack(cli, cli_env):
    code, loaded, stdout = loaded_modules(cli_env, "races", "list")
    assert code == 0 and stdout.splitlines()[-1] == "(no races)"
    assert "sqlalchemy" in loaded and server_stack_in(loaded) == []
    code, loaded, stdout = loaded_modules(cli_env, "participants", "delete", "r1", "--edition", "1")
    assert code == 1 and stdout == ""  # no such edition: the command ran to the database
    assert "sqlalchemy" in loaded and server_stack_in(loaded) == []

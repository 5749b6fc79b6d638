"""`startline races public RACE on|off`: the per-race switch of the public pages."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from startline.cli import app as cli_app
from startline.db.engine import Database
from startline.settings import Settings
from tests.conftest import TEST_SECRET_KEY
from tests.pages.world import PATH, make_world, set_race


def _cli(settings: Settings, tmp_path: Path, *args: str) -> tuple[int, str]:
    env = {
        "STARTLINE_DATABASE_URL": settings.resolved_database_url,
        "STARTLINE_SECRET_KEY": TEST_SECRET_KEY,
        "STARTLINE_DATA_DIR": str(tmp_path / "data"),
    }
    result = CliRunner().invoke(cli_app, list(args), env=env)
    return result.exit_code, result.output


def test_switching_a_race_off_and_on(
    settings: Settings, db: Database, tmp_path: Path, client: TestClient
) -> None:
    world = make_world(db)
    race = str(world.race.race_id)
    code, output = _cli(settings, tmp_path, "races", "public", race, "off", "--json")
    assert code == 0, output
    assert json.loads(output) == {
        "race_id": world.race.race_id,
        "public": False,
        "changed": True,
        "shown": False,
        "url": "http://127.0.0.1:8000" + PATH,
    }
    assert client.get(PATH).status_code == 404
    code, output = _cli(settings, tmp_path, "races", "public", race, "on", "--json")
    assert code == 0 and json.loads(output)["shown"] is True
    assert client.get(PATH).status_code == 200
    set_race(db, world.race.race_id, is_draft=True)
    code, output = _cli(settings, tmp_path, "races", "public", race, "on", "--json")
    assert json.loads(output) | {"url": ""} == {
        "race_id": world.race.race_id,
        "public": True,
        "changed": False,
        "shown": False,  # a draft is never shown
        "url": "",
    }


def test_bad_input_is_one_line(settings: Settings, db: Database, tmp_path: Path) -> None:
    code, output = _cli(settings, tmp_path, "races", "public", "999", "on")
    assert code == 1 and output.strip() == "error: no race 999"
    code, output = _cli(settings, tmp_path, "races", "public", "1", "maybe")
    assert code != 0 and "Traceback" not in output and "on|off" in output

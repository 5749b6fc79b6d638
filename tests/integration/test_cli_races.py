"""`startline races list [--json]` through the real `startline` command: every race a
registration platform created (drafts and hidden ones too) with its editions and events, so
the ids `--edition` and `--event` take can be found."""

from __future__ import annotations

import json
import secrets
import time

import pytest
from sqlalchemy import update

from startline.dialects.runsignup.signature import sign
from startline.domain.accounts import service as accounts
from startline.domain.races.models import Edition, Race
from tests.integration.test_cli_mistakes import one_line_error
from tests.support.startline_command import run_startline

PASSWORD = "correct horse battery staple"


@pytest.fixture
def startline(cli_env):
    def run(*args: str, **env: str):
        return run_startline(*args, env={**cli_env, **env})

    return run


@pytest.fixture
def post_race(app, client, db):
    """POST /rest/race as a RunSignup client does (an API key and a partner's signature);
    the race object answered."""
    with db.transaction() as session:
        accounts.create_user(session, email="owner@example.com", password=PASSWORD)
        key = accounts.create_api_key(session, email="owner@example.com")
        partner = accounts.create_partner(session, name="Partner", box=app.state.services.box)

    def post(document: dict) -> dict:
        signature = sign(
            partner.signing_id, partner.signing_secret, int(time.time()), secrets.token_hex(4)
        )
        response = client.post(
            "/rest/race",
            params={
                "format": "json",
                "api_key": key.key,
                "api_secret": key.secret,
                "protected_api_signature": signature,
            },
            files={"request_format": (None, "json"), "request": (None, json.dumps(document))},
        )
        body = response.json()
        assert "race" in body, body
        return body["race"]

    return post


def race_document(name: str, url_string: str, events: list[dict], draft: str = "F") -> dict:
    return {
        "name": name,
        "url_string": url_string,
        "draft_race": draft,
        "address": {"city": "Moorestown", "state": "NJ", "country_code": "US"},
        "timezone": "Europe/Oslo",
        "events": events,
    }


def listed(result) -> list[dict]:
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    return json.loads(result.stdout)


def test_lists_what_a_runsignup_post_created(startline, post_race, db):
    city_run = post_race(
        race_document(
            "City Run",
            "cityrun",
            [
                {
                    "name": "Ultra",
                    "start_time": "2030-06-07 06:00",
                    "end_time": "2030-06-08 18:30",
                    "event_type": "running_race",
                    "distance": 100,
                    "distance_units": "K",
                },
                {
                    "name": "5 Miler",
                    "start_time": "2030-06-07 09:30",
                    "event_type": "running_race",
                    "distance": 5,
                    "distance_units": "M",
                },
            ],
        )
    )
    draft = post_race(
        race_document(
            "Trail Draft",
            "traildraft",
            [{"name": "10K", "start_time": "2031-05-01 08:00", "event_type": "trail_race"}],
            draft="T",
        )
    )
    ultra, miler = city_run["events"]
    (trail,) = draft["events"]
    assert listed(startline("races", "list", "--json")) == [
        {
            "race_id": city_run["race_id"],
            "name": "City Run",
            "draft": False,
            "public": True,
            "shown": True,
            "timezone": "Europe/Oslo",
            "editions": [
                {
                    "edition_id": ultra["race_event_days_id"],
                    "start_date": "2030-06-07",
                    "end_date": "2030-06-08",  # the ultra ends the next day
                    "events": [
                        {
                            "event_id": ultra["event_id"],
                            "name": "Ultra",
                            "start_time": "2030-06-07T06:00:00",
                            "end_time": "2030-06-08T18:30:00",
                            "event_type": "running_race",
                            "distance": 100.0,
                            "distance_units": "K",
                        },
                        {
                            "event_id": miler["event_id"],
                            "name": "5 Miler",
                            "start_time": "2030-06-07T09:30:00",
                            "end_time": None,
                            "event_type": "running_race",
                            "distance": 5.0,
                            "distance_units": "M",
                        },
                    ],
                }
            ],
        },
        {
            "race_id": draft["race_id"],
            "name": "Trail Draft",
            "draft": True,  # listed for the operator, never shown on the pages
            "public": True,
            "shown": False,
            "timezone": "Europe/Oslo",
            "editions": [
                {
                    "edition_id": trail["race_event_days_id"],
                    "start_date": "2031-05-01",
                    "end_date": "2031-05-01",
                    "events": [
                        {
                            "event_id": trail["event_id"],
                            "name": "10K",
                            "start_time": "2031-05-01T08:00:00",
                            "end_time": None,
                            "event_type": "trail_race",
                            "distance": None,
                            "distance_units": None,
                        }
                    ],
                }
            ],
        },
    ]
    assert miler["race_event_days_id"] == ultra["race_event_days_id"]

    # The ids it lists are the ones the participants commands take.
    edition = str(ultra["race_event_days_id"])
    exported = startline("participants", "export", "--edition", edition)
    assert exported.returncode == 0 and exported.stdout.startswith("unique_id,"), exported.stderr

    # The public switch and the server-wide setting.
    assert startline("races", "public", str(city_run["race_id"]), "off").returncode == 0
    (hidden, _) = listed(startline("races", "list", "--json"))
    assert (hidden["public"], hidden["shown"]) == (False, False)
    startline("races", "public", str(city_run["race_id"]), "on")
    (off, _) = listed(startline("races", "list", "--json", STARTLINE_PUBLIC_PAGES="false"))
    assert (off["public"], off["shown"]) == (True, False)


def test_the_text_list_reads_as_a_tree(startline, post_race, db):
    first = post_race(
        race_document(
            "City Run",
            "cityrun",
            [
                {"name": "10K", "start_time": "2030-06-07 09:00", "event_type": "running_race"},
                {
                    "name": "Ultra",
                    "start_time": "2030-06-07 06:00",
                    "end_time": "2030-06-08 18:00",
                    "event_type": "running_race",
                },
            ],
        )
    )
    second = post_race(
        race_document(
            "Lake Loop",
            "lakeloop",
            [{"name": "5K", "start_time": "2031-01-02 10:15", "event_type": "running_race"}],
            draft="T",
        )
    )
    with db.transaction() as session:  # an edition without events yet
        empty = Edition(race_id=first["race_id"])
        session.add(empty)
        session.flush()
        empty_id = empty.id
        # A control character in a name (not from RunSignup, which refuses it) is shown
        # escaped, never sent to the terminal.
        session.execute(
            update(Race)
            .where(Race.id == second["race_id"])
            .values(is_public=False, name="Lake\x1b[2J Loop")
        )
    ultra, ten = first["events"]  # by start time
    (five,) = second["events"]
    edition = ultra["race_event_days_id"]
    result = startline("races", "list")
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()]
    assert rows == [
        ["race", "name", "draft", "public", "edition", "dates", "event", "event", "name", "starts"],
        [
            str(first["race_id"]),
            *("City", "Run", "no", "yes", str(edition), "2030-06-07", "to", "2030-06-08"),
            *(str(ultra["event_id"]), "Ultra", "2030-06-07", "06:00"),
        ],
        [str(ten["event_id"]), "10K", "2030-06-07", "09:00"],
        [str(empty_id)],
        [
            str(second["race_id"]),
            *("Lake\\x1b[2J", "Loop", "yes", "no", str(five["race_event_days_id"]), "2031-01-02"),
            *(str(five["event_id"]), "5K", "2031-01-02", "10:15"),
        ],
    ]
    # Columns line up: each event id starts where its heading does.
    lines = result.stdout.splitlines()
    column = lines[0].index("event ")
    assert lines[1][column:].startswith(str(ultra["event_id"]))
    assert lines[2][column:].startswith(str(ten["event_id"]))
    assert "\x1b" not in result.stdout


def test_no_races(startline, db):
    assert listed(startline("races", "list", "--json")) == []
    result = startline("races", "list")
    assert result.returncode == 0 and result.stdout.splitlines()[-1] == "(no races)"


def test_mistakes_are_one_line(startline, db, tmp_path):
    one_line_error(startline("races", "list", "--races"), "--races")
    one_line_error(startline("races", "list", "1"), "unexpected extra argument")
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database" * 100)
    one_line_error(
        startline("races", "list", STARTLINE_DATABASE_URL=f"sqlite:///{garbage}"),
        "not a database",
    )

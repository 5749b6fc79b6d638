"""`startline serve` as a user runs it: a real process answering /healthz."""

import contextlib
import json
import re
import time

import httpx
import pytest
from sqlalchemy.engine import make_url

from startline.db.engine import sqlite_file
from startline.version import VERSION
from tests.support.server import running_server
from tests.support.tcp_proxy import proxy_to
from tests.support.world import SEED_PARTICIPANT, connect_token, seed_race


def test_serve_answers_healthz(settings, tmp_path):
    with running_server(settings, tmp_path / "data") as server:
        response = httpx.get(f"{server.base_url}/healthz", timeout=5)
    assert response.json()["status"] == "ok" and response.json()["database"] == "ok"
    assert response.headers["x-request-id"]


@pytest.mark.slow
def test_serve_with_two_workers(settings, tmp_path):
    with running_server(settings, tmp_path / "data", workers=2) as server:
        statuses = {
            httpx.get(f"{server.base_url}/healthz", timeout=5).status_code for _ in range(10)
        }
    assert statuses == {200}


TIME_WITH_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def _json_lines(stderr: bytes) -> list[dict]:
    """Every line the server wrote, each of which must be one JSON object."""
    return [json.loads(line) for line in stderr.decode().splitlines()]


@pytest.mark.slow
def test_serve_logs_one_json_format_from_every_worker(settings, tmp_path, database_kind):
    url = settings.resolved_database_url
    if database_kind == "postgresql":  # trust auth: the password is ignored, and never logged
        url = make_url(url).set(password="s3cret-pw").render_as_string(hide_password=False)
    with running_server(
        settings,
        tmp_path / "data",
        workers=2,
        STARTLINE_LOG_LEVEL="info",
        STARTLINE_DATABASE_URL=url,
    ) as server:
        httpx.get(f"{server.base_url}/no/such/page", timeout=5)
        httpx.get(f"{server.base_url}/readyz", timeout=5)
    stderr = server.process.stderr.read()
    assert b"s3cret-pw" not in stderr and b"Traceback" not in stderr
    lines = _json_lines(stderr)
    for line in lines:
        assert TIME_WITH_MS.match(line["time"]) and isinstance(line["pid"], int)
    [start] = [line for line in lines if line["message"] == "starting"]
    assert start["version"] == VERSION and start["workers"] == 2
    assert start["data_dir"] == str((tmp_path / "data").resolve())
    assert start["database"].startswith(database_kind)
    uvicorn_pids = {line["pid"] for line in lines if line["logger"].startswith("uvicorn")}
    assert len(uvicorn_pids) == 3  # the supervisor and both workers
    paths = {line.get("path") for line in lines if line["logger"] == "startline.access"}
    assert {"/no/such/page", "/readyz"} <= paths


@pytest.mark.slow
def test_database_outage_under_load_is_503s_and_one_line_each(
    settings, db, tmp_path, database_kind
):
    """20 requests a second through an outage: 503s with Retry-After and a request id,
    never a 500, one warning line per 503 and nothing else on stderr."""
    race = seed_race(db)
    token = connect_token(db, owner_email=race.owner_email)
    with contextlib.ExitStack() as stack:
        if database_kind == "postgresql":
            proxy = stack.enter_context(proxy_to(settings.resolved_database_url))
            url = proxy.url_for(settings.resolved_database_url)
        else:
            proxy = None  # the SQLite outage: a database the server can only read
            url = f"sqlite:///file:{sqlite_file(settings.resolved_database_url)}?mode=ro&uri=true"
        server = stack.enter_context(
            running_server(settings, tmp_path / "data", STARTLINE_DATABASE_URL=url)
        )
        answers = []
        with httpx.Client(base_url=server.base_url, timeout=10) as http:
            for number in range(60):  # 3 s at 20 a second
                if proxy is not None and number == 15:
                    proxy.refuse()
                if proxy is not None and number == 45:
                    proxy.restore()
                runner = {
                    **SEED_PARTICIPANT,
                    "race_id": race.event_ids[0],
                    "unique_id": f"load{number}",
                    "first_name": "Zoëprivate",
                    "start_number": str(number + 1),
                    "chip_code": f"{number + 1:07d}",
                }
                answers.append(
                    http.post(
                        "/v1/connect/participant",
                        json=runner,
                        headers={"Authorization": token, "Accept": "application/json"},
                    )
                )
                time.sleep(0.05)
    statuses = [answer.status_code for answer in answers]
    assert 500 not in statuses
    unavailable = [answer for answer in answers if answer.status_code == 503]
    assert unavailable
    for answer in unavailable:
        assert answer.headers["retry-after"] == "5" and answer.headers["x-request-id"]
        assert answer.json() == {"message": "Service Unavailable"}
    if proxy is not None:
        assert statuses[:15] == [200] * 15 and statuses[-5:] == [200] * 5
    stderr = server.process.stderr.read()
    assert b"Zo\xc3\xabprivate" not in stderr and b"Traceback" not in stderr
    lines = _json_lines(stderr)
    warnings = [line for line in lines if line["message"] == "database unavailable"]
    assert len(warnings) == len(unavailable)
    assert {line["request_id"] for line in warnings} == {
        answer.headers["x-request-id"] for answer in unavailable
    }
    assert all(line["level"] in ("info", "warning") for line in lines)

"""A database that cannot be used is a 503 with Retry-After in each dialect's format, one
warning line per request and no traceback; a bug is a 500, one JSON record; every answer
carries its X-Request-ID. Faults: a read-only database (both databases), a full SQLite
database (`max_page_count`), an unopenable SQLite file, and a PostgreSQL connection cut or
refused by a proxy in front of it (the shared server itself is never touched)."""

from __future__ import annotations

import contextlib
import logging
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from startline.db.engine import Database
from startline.db.group_commit import GroupCommitter
from startline.domain.accounts import service as accounts
from startline.domain.changes import journal
from tests.support.tcp_proxy import proxy_to
from tests.support.world import SEED_PARTICIPANT, SeededRace, connect_token, seed_race

PASSWORD = "a long enough password"
RUNNER_NAME = "Zoëprivate"  # must never reach a log line
UNAVAILABLE_299 = {
    "error": {
        "error_code": 299,
        "error_msg": "Service temporarily unavailable. Please try again.",
    }
}


@pytest.fixture
def world(db) -> tuple[SeededRace, str]:
    race = seed_race(db)
    with db.transaction() as session:
        accounts.create_user(session, email="timer@example.com", password=PASSWORD)
    return race, connect_token(db, owner_email=race.owner_email)


def _runner(event_id: int, number: int) -> dict[str, Any]:
    return {
        **SEED_PARTICIPANT,
        "race_id": event_id,
        "unique_id": f"u{number}",
        "first_name": RUNNER_NAME,
        "start_number": str(number),
        "chip_code": f"{number:07d}",
    }


@contextmanager
def serving_from(app: Any, database: Database) -> Iterator[None]:
    """The app's routes use `database` (a faulty one) for the duration."""
    services = app.state.services
    original, original_writer = services.db, services.writer
    services.db, services.writer = (
        database,
        GroupCommitter(database, unit_started=journal.start_unit, unit_failed=journal.discard_unit),
    )
    try:
        yield
    finally:
        services.writer.close()
        services.db, services.writer = original, original_writer
        database.dispose()


def _assert_unavailable(response: Any) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert response.headers["x-request-id"]


def _tracx_single(client: Any, token: str, race: SeededRace) -> Any:
    return client.post(
        "/v1/connect/participant",
        json=_runner(race.event_ids[0], 1),
        headers={"Authorization": token, "Accept": "application/json"},
    )


def _tracx_batch(client: Any, token: str, race: SeededRace, count: int = 300) -> Any:
    return client.post(
        f"/v1/connect/events/{race.edition_id}/participants",
        json=[_runner(race.event_ids[n % 2], n + 1) for n in range(count)],
        headers={"Authorization": token, "Accept": "application/json"},
    )


def _runsignup_login(client: Any, fmt: str = "json") -> Any:
    return client.post(
        "/rest/login",
        params={"format": fmt},
        data={"email": "timer@example.com", "password": PASSWORD},
    )


def _warnings_and_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def _assert_one_quiet_warning_per_request(
    caplog: pytest.LogCaptureFixture, count: int
) -> list[str]:
    """The reasons logged, one per request."""
    records = [r for r in _warnings_and_errors(caplog) if r.name == "startline.errors"]
    assert len(records) == count
    for record in records:
        assert record.levelno == logging.WARNING and record.exc_info is None
        assert record.getMessage() == "database unavailable"
        assert record.fields["request_id"]  # type: ignore[attr-defined]
    assert RUNNER_NAME not in caplog.text
    return [record.fields["reason"] for record in records]  # type: ignore[attr-defined]


def _read_only(database_url: str, database_kind: str) -> Database:
    if database_kind == "sqlite":
        path = database_url.removeprefix("sqlite:///")
        return Database(f"sqlite:///file:{path}?mode=ro&uri=true")
    # A server (or standby) that refuses writes; only this test's connections are affected.
    return Database(database_url, connect_args={"options": "-c default_transaction_read_only=on"})


def test_read_only_database_is_503_in_each_dialect_and_alive(
    app, client, world, database_url, database_kind, caplog
):
    race, token = world
    caplog.set_level(logging.INFO)
    with serving_from(app, _read_only(database_url, database_kind)):
        single = _tracx_single(client, token, race)
        batch = _tracx_batch(client, token, race, count=3)
        login_json = _runsignup_login(client, "json")
        login_xml = _runsignup_login(client, "xml")
        health = client.get("/healthz")
        ready = client.get("/readyz")
    for response in (single, batch):
        _assert_unavailable(response)
        assert response.json() == {"message": "Service Unavailable"}
    _assert_unavailable(login_json)
    assert login_json.json() == UNAVAILABLE_299
    _assert_unavailable(login_xml)
    xml = ET.fromstring(login_xml.content)
    assert xml.findtext("error_code") == "299"
    assert xml.findtext("error_msg") == UNAVAILABLE_299["error"]["error_msg"]
    _assert_one_quiet_warning_per_request(caplog, 4)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    _assert_unavailable(ready)
    assert ready.json()["write"] == "failed" and ready.json()["database"] == "ok"
    # Nothing was written, and the normal database still takes the same writes.
    assert _tracx_single(client, token, race).status_code == 200


def _full_sqlite(database_url: str) -> Database:
    database = Database(database_url)

    @event.listens_for(database.engine, "connect")
    def _no_room_to_grow(dbapi_connection: Any, _record: Any) -> None:
        # The database may not grow past its current pages: what a full disk does to it.
        dbapi_connection.execute("PRAGMA max_page_count = 1")

    return database


def test_full_sqlite_database_is_503_and_alive(
    app, client, world, database_url, database_kind, caplog
):
    if database_kind != "sqlite":
        pytest.skip("a full disk is simulated with SQLite's max_page_count")
    race, token = world
    caplog.set_level(logging.INFO)
    with serving_from(app, _full_sqlite(database_url)):
        batch = _tracx_batch(client, token, race)
        health = client.get("/healthz")
        ready = client.get("/readyz")
    _assert_unavailable(batch)
    assert batch.json() == {"message": "Service Unavailable"}
    [reason] = _assert_one_quiet_warning_per_request(caplog, 1)
    assert reason.startswith("SQLITE_FULL")
    assert health.status_code == 200
    _assert_unavailable(ready)
    assert ready.json()["disk"] == "full"
    assert _tracx_batch(client, token, race).json() == {"data": {"created": 300, "updated": 0}}


def test_sqlite_file_gone_is_503_everywhere(app, client, world, tmp_path, database_kind, caplog):
    if database_kind != "sqlite":
        pytest.skip("the PostgreSQL counterpart is the proxy test")
    race, token = world
    gone = tmp_path / "gone"
    database = Database(f"sqlite:///{gone / 'startline.db'}")  # makes the directory...
    shutil.rmtree(gone)  # ...which disappears before the first connection
    caplog.set_level(logging.INFO)
    with serving_from(app, database):
        single = _tracx_single(client, token, race)
        races_xml = client.get("/rest/races")
        feed = client.get("/api/v1/changes", headers={"Authorization": token})
        health = client.get("/healthz")
        ready = client.get("/readyz")
    _assert_unavailable(single)
    _assert_unavailable(feed)
    assert feed.json() == {"message": "Service Unavailable"}  # /api/v1 speaks like Tracx
    _assert_unavailable(races_xml)
    assert ET.fromstring(races_xml.content).findtext("error_code") == "299"
    _assert_one_quiet_warning_per_request(caplog, 3)
    for probe in (health, ready):
        _assert_unavailable(probe)
        assert probe.json()["database"] == "unreachable"


def test_postgresql_refused_then_back(app, client, world, database_url, database_kind, caplog):
    if database_kind != "postgresql":
        pytest.skip("needs PostgreSQL behind a proxy")
    race, token = world
    caplog.set_level(logging.INFO)
    with contextlib.ExitStack() as stack:
        proxy = stack.enter_context(proxy_to(database_url))
        stack.enter_context(serving_from(app, Database(proxy.url_for(database_url))))
        assert _tracx_single(client, token, race).status_code == 200  # pool warmed
        proxy.refuse()  # the server goes down: open connections drop, new ones refused
        down = [
            _tracx_single(client, token, race),
            _tracx_batch(client, token, race, count=3),
            _runsignup_login(client),
            client.get("/rest/races", params={"format": "json"}),
        ]
        health = client.get("/healthz")
        ready = client.get("/readyz")
        proxy.restore()  # back up: the pool reconnects on its own
        back = [_tracx_single(client, token, race), client.get("/readyz")]
    for response in down:
        _assert_unavailable(response)
    assert down[0].json() == down[1].json() == {"message": "Service Unavailable"}
    assert down[2].json() == down[3].json() == UNAVAILABLE_299
    _assert_one_quiet_warning_per_request(caplog, len(down))
    for probe in (health, ready):
        _assert_unavailable(probe)
    assert [response.status_code for response in back] == [200, 200]


def test_postgresql_connection_lost_mid_transaction(database_url, database_kind):
    if database_kind != "postgresql":
        pytest.skip("needs PostgreSQL behind a proxy")
    from startline.db.unavailable import database_unavailable

    with proxy_to(database_url) as proxy:
        database = Database(proxy.url_for(database_url))
        try:
            with pytest.raises(OperationalError) as caught, database.transaction() as session:
                session.execute(_select_one())
                proxy.cut()  # a restart while the transaction is open
                session.execute(_select_one())
        finally:
            database.dispose()
    assert database_unavailable(caught.value) is not None


def _select_one() -> Any:
    from sqlalchemy import text

    return text("SELECT 1")


def test_bug_is_500_with_request_id_and_one_json_record(app, client, caplog):
    def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/rest/boom", boom)
    app.add_api_route("/v1/boom", boom)
    app.add_api_route("/elsewhere/boom", boom)
    caplog.set_level(logging.INFO)
    rest = client.get("/rest/boom", params={"format": "json"})
    tracx = client.get("/v1/boom")
    other = client.get("/elsewhere/boom", headers={"X-Request-ID": "mine-1"})
    assert rest.status_code == 200 and rest.json()["error"]["error_code"] == 4
    assert tracx.status_code == 500 and tracx.json() == {"message": "Server Error"}
    assert other.status_code == 500 and other.json() == {"detail": "Internal Server Error"}
    assert other.headers["x-request-id"] == "mine-1"
    for response in (rest, tracx):
        assert response.headers["x-request-id"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 3
    assert all(r.name == "startline.errors" and r.exc_info for r in errors)


def test_database_unavailable_outside_the_dialects_is_json(app, client, tmp_path):
    def unreachable() -> None:
        import sqlite3

        sqlite3.connect(tmp_path / "no" / "such" / "dir.db")  # SQLITE_CANTOPEN

    app.add_api_route("/elsewhere/db", unreachable)
    response = client.get("/elsewhere/db")
    _assert_unavailable(response)
    assert response.json() == {"detail": "Service Unavailable"}

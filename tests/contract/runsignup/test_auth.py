"""Authentication on the wire: keys, rsu_api_key + header, login/logout, temporary credentials,
lockout, and the protected API signature (invalid, expired, replayed)."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import update

from startline.db.base import utcnow
from startline.domain.accounts.models import TemporaryCredential
from tests.contract.runsignup.conftest import PASSWORD, error_of, parse, race_doc


def _login(rsu, email="owner@example.com", password=PASSWORD, fmt="json"):
    return rsu.client.post(
        "/rest/login", params={"format": fmt}, data={"email": email, "password": password}
    )


def test_login_returns_temporary_credentials_that_work(rsu):
    response = _login(rsu)
    body = response.json()
    assert body["user"] == {
        "user_id": rsu.owner.user_id,
        "first_name": "Olive",
        "last_name": "Owner",
        "email": "owner@example.com",
    }
    query = {"tmp_key": body["tmp_key"], "tmp_secret": body["tmp_secret"]}
    created = rsu.post_race(race_doc(), query={"api_key": "", **query})
    assert created.json()["race"]["contact_email"] == "example@example.com"

    out = rsu.client.post("/rest/logout", params={"format": "json", **query})
    assert out.json() == {"success": "T"}
    again = rsu.post_race(race_doc("Other"), query={"api_key": "", **query})
    assert error_of(again) == (6, [])


def test_login_and_logout_in_xml(rsu):
    response = _login(rsu, fmt="xml")
    login = parse(response)
    assert login.tag == "login"
    assert login.findtext("user/email") == "owner@example.com"
    out = rsu.client.post(
        "/rest/logout",
        data={"tmp_key": login.findtext("tmp_key"), "tmp_secret": login.findtext("tmp_secret")},
    )
    assert parse(out).tag == "response" and parse(out).findtext("success") == "T"
    assert error_of(rsu.client.post("/rest/logout", data={"tmp_key": "x", "tmp_secret": "y"})) == (
        6,
        [],
    )


def test_login_errors(rsu):
    assert error_of(_login(rsu, email="nobody@example.com")) == (101, [])
    assert error_of(_login(rsu, password="wrong")) == (102, [])
    missing = rsu.client.post("/rest/login", data={"email": "owner@example.com"})
    assert error_of(missing) == (3, [])


def test_lockout_after_repeated_failures(rsu):
    rsu.services.settings.login_max_failures = 3
    for _ in range(3):
        assert error_of(_login(rsu, password="wrong")) == (102, [])
    assert error_of(_login(rsu)) == (103, [])  # even the right password
    rsu.services.settings.login_failure_window_seconds = 0
    assert "tmp_key" in _login(rsu).json()


def test_temporary_credentials_expire_an_idle_hour_after_last_use(rsu):
    body = _login(rsu).json()
    query = {"tmp_key": body["tmp_key"], "tmp_secret": body["tmp_secret"], "format": "json"}
    assert rsu.client.get("/rest/races", params=query).json() == {"races": []}
    with rsu.db.transaction() as session:
        session.execute(
            update(TemporaryCredential).values(last_used_at=utcnow() - timedelta(minutes=59))
        )
    assert rsu.client.get("/rest/races", params=query).json() == {"races": []}  # renews
    with rsu.db.transaction() as session:
        session.execute(
            update(TemporaryCredential).values(last_used_at=utcnow() - timedelta(minutes=61))
        )
    assert error_of(rsu.client.get("/rest/races", params=query)) == (6, [])


def test_rsu_api_key_with_secret_header(rsu):
    params = {
        "rsu_api_key": rsu.owner.api_key,
        "format": "json",
        "protected_api_signature": rsu.signature(),
    }
    files = {
        "request_format": (None, "json"),
        "request": (None, __import__("json").dumps(race_doc())),
    }
    ok = rsu.client.post(
        "/rest/race", params=params, files=files, headers={"X-RSU-API-SECRET": rsu.owner.api_secret}
    )
    assert ok.json()["race"]["race_id"] == 1
    params["protected_api_signature"] = rsu.signature()
    bad = rsu.client.post(
        "/rest/race", params=params, files=files, headers={"X-RSU-API-SECRET": "wrong"}
    )
    assert error_of(bad) == (6, [])


def test_api_key_takes_precedence(rsu):
    body = _login(rsu).json()
    response = rsu.post_race(
        race_doc(),
        query={"api_secret": "wrong", "tmp_key": body["tmp_key"], "tmp_secret": body["tmp_secret"]},
    )
    assert error_of(response) == (6, [])


def test_missing_or_wrong_credentials_are_6(rsu):
    response = rsu.post_race(race_doc(), query={"api_key": "", "api_secret": ""})
    assert error_of(response) == (6, [])
    response = rsu.post_race(race_doc(), query={"api_secret": "nope"})
    assert error_of(response) == (6, [])
    response = rsu.client.get("/rest/races", params={"api_key": "x\x00y", "api_secret": "z"})
    assert error_of(response) == (6, [])


def test_editing_someone_elses_race_is_7_but_an_admin_may(rsu):
    race = rsu.create()
    other = rsu.add_account("other@example.com")
    doc = race_doc(name="Taken over")
    doc["events"][0]["event_id"] = race["events"][0]["event_id"]
    assert error_of(rsu.post_race(doc, race_id=race["race_id"], account=other)) == (7, [])
    admin = rsu.add_account("admin@example.com", is_admin=True)
    edited = rsu.post_race(doc, race_id=race["race_id"], account=admin)
    assert edited.json()["race"]["name"] == "Taken over"


# --- protected API signature -------------------------------------------------------------


def test_signature_example_from_the_contract():
    from startline.dialects.runsignup.signature import sign

    assert sign(123, "s3cr3t", 1700000000, "abcd1234") == (
        "123.1700000000.abcd1234.dde1a93b8b604b8736bfb6fc79945e12abdf3705"
    )


def test_missing_or_wrong_signature_is_290(rsu):
    assert error_of(rsu.post_race(race_doc(), signed=False)) == (290, [])
    wrong_secret = rsu.signature(secret="not-the-secret")
    bad = [
        wrong_secret,
        rsu.signature(identity=999),
        "garbage",
        rsu.signature()[:-1],
        rsu.signature().replace(".", "-"),
        rsu.signature(nonce="abc"),
    ]
    for signature in bad:
        response = rsu.post_race(race_doc(), query={"protected_api_signature": signature})
        assert error_of(response) == (290, []), signature


def test_expired_signature_is_291(rsu):
    for ts in (int(time.time()) - 301, int(time.time()) + 400):
        signature = rsu.signature(ts=ts)
        response = rsu.post_race(race_doc(), query={"protected_api_signature": signature})
        assert error_of(response) == (291, [])


def test_replayed_signature_is_292(rsu):
    signature = rsu.signature(nonce="Abcd1234")
    first = rsu.post_race(race_doc(), query={"protected_api_signature": signature})
    assert first.json()["race"]["race_id"] == 1
    again = rsu.post_race(race_doc("Another"), query={"protected_api_signature": signature})
    assert error_of(again) == (292, [])


def test_replay_is_refused_by_another_server_process(rsu, settings):
    """Two app instances (as two processes would) share only the database."""
    from fastapi.testclient import TestClient

    from startline.app import create_app
    from startline.db.engine import Database

    second_db = Database(settings.resolved_database_url)
    try:
        with TestClient(create_app(settings, database=second_db)) as second:
            signature = rsu.signature()
            first = rsu.post_race(race_doc(), query={"protected_api_signature": signature})
            assert first.json()["race"]["race_id"] == 1
            params = {**rsu.auth_query(), "format": "json", "protected_api_signature": signature}
            files = {
                "request_format": (None, "json"),
                "request": (None, __import__("json").dumps(race_doc("Other"))),
            }
            replay = second.post("/rest/race", params=params, files=files)
            assert error_of(replay) == (292, [])
    finally:
        second_db.dispose()


def test_failure_to_issue_temporary_credentials_is_151(rsu, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from startline.domain.accounts import service as accounts_service

    def failing(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("disk full"))

    monkeypatch.setattr(accounts_service, "create_temporary_credentials", failing)
    assert error_of(_login(rsu)) == (151, [])

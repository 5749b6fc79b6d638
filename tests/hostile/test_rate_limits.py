"""Per-credential request limits (Settings.rate_limit_per_minute): RunSignup answers error 14
"Request throttled." (HTTP 200, like every API error) with `Retry-After`, Tracx answers
Laravel's 429; the counts live in the database, so two server processes share them; old
counter rows are pruned; the limit is off by default."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from startline.app import create_app
from startline.db.engine import Database
from startline.dialects.runsignup.signature import sign
from startline.domain import limits
from startline.domain.accounts import service as accounts
from startline.domain.accounts.models import RateCounter, UsedNonce
from startline.settings import Settings
from tests.contract.runsignup.conftest import race_doc, to_xml
from tests.support.server import running_server
from tests.support.world import connect_token, seed_race

LIMIT = 3
PASSWORD = "pw-rate-limits"


def wait_for_window_room(seconds: float = 3) -> None:
    """Start a burst early in a fixed minute window, so it does not straddle two windows."""
    if time.time() % 60 > 60 - seconds:
        time.sleep(60 - time.time() % 60 + 0.2)


@pytest.fixture
def limited(settings: Settings, db: Database) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"rate_limit_per_minute": LIMIT}), database=db)
    wait_for_window_room()
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def make_key(db: Database, email: str) -> tuple[str, str]:
    with db.transaction() as session:
        accounts.create_user(session, email=email, password=PASSWORD, is_admin=True)
        issued = accounts.create_api_key(session, email=email)
    return issued.key, issued.secret


def error_code(response: httpx.Response) -> int | None:
    assert response.status_code == 200, response.text
    body = response.json()
    return body["error"]["error_code"] if "error" in body else None


def assert_throttled(response: httpx.Response) -> None:
    assert error_code(response) == 14
    assert response.json()["error"]["error_msg"] == "Request throttled."
    assert 1 <= int(response.headers["retry-after"]) <= 60


def test_runsignup_limit_is_per_api_key(limited, db):
    race = seed_race(db)
    key_a, secret_a = make_key(db, "a@example.com")
    key_b, secret_b = make_key(db, "b@example.com")
    url = f"/rest/race/{race.race_id}"
    a = {"format": "json", "api_key": key_a, "api_secret": secret_a}
    codes = [error_code(limited.get(url, params=a)) for _ in range(LIMIT)]
    assert codes == [None] * LIMIT
    assert_throttled(limited.get(url, params=a))
    # Another key, and the same key in the X-RSU-API-SECRET form, count apart / together.
    b = {"format": "json", "api_key": key_b, "api_secret": secret_b}
    assert error_code(limited.get(url, params=b)) is None
    header_form = {"format": "json", "rsu_api_key": key_a}
    assert_throttled(limited.get(url, params=header_form, headers={"X-RSU-API-SECRET": secret_a}))


def test_runsignup_throttle_in_xml_keeps_the_envelope(limited, db):
    key, secret = make_key(db, "a@example.com")
    params = {"api_key": key, "api_secret": secret}
    for _ in range(LIMIT):
        assert b"<error>" not in limited.get("/rest/races", params=params).content
    response = limited.get("/rest/races", params=params)
    assert response.status_code == 200
    assert b"<error_code>14</error_code>" in response.content
    assert "retry-after" in response.headers


def test_wrong_credentials_are_refused_before_they_are_counted(limited, db):
    key, secret = make_key(db, "a@example.com")
    for _ in range(LIMIT + 2):
        response = limited.get(
            "/rest/races", params={"format": "json", "api_key": key, "api_secret": "wrong"}
        )
        assert error_code(response) == 6
    assert (
        error_code(
            limited.get(
                "/rest/races", params={"format": "json", "api_key": key, "api_secret": secret}
            )
        )
        is None
    )


def test_anonymous_reads_and_logins_are_limited_per_client_ip(limited, db):
    make_key(db, "a@example.com")
    for _ in range(LIMIT):
        assert error_code(limited.get("/rest/races", params={"format": "json"})) is None
    assert_throttled(limited.get("/rest/races", params={"format": "json"}))
    # Login shares the caller's IP bucket; a throttled login records no failure.
    form = {"email": "a@example.com", "password": "wrong"}
    assert_throttled(limited.post("/rest/login", params={"format": "json"}, data=form))
    with db.reading() as session:
        assert (
            accounts.recent_login_failures(session, email="a@example.com", window_seconds=600) == 0
        )


def test_a_throttled_race_post_leaves_its_nonce_unspent(limited, app, db):
    key, secret = make_key(db, "a@example.com")
    with db.transaction() as session:
        partner = accounts.create_partner(session, name="P", box=app.state.services.box)

    def post(nonce: str) -> httpx.Response:
        params = {
            "format": "json",
            "api_key": key,
            "api_secret": secret,
            "protected_api_signature": sign(
                partner.signing_id, partner.signing_secret, int(time.time()), nonce
            ),
        }
        return limited.post(
            "/rest/race",
            params=params,
            data={"request_format": "xml", "request": to_xml(race_doc("X1"))},
        )

    for _ in range(LIMIT):
        limited.get("/rest/races", params={"api_key": key, "api_secret": secret})
    assert_throttled(post("abcd1234"))
    with db.reading() as session:
        assert session.execute(select(UsedNonce)).first() is None


def test_tracx_429_body_and_retry_after(settings, db):
    race = seed_race(db)
    token = connect_token(db, owner_email=race.owner_email)
    app = create_app(settings.model_copy(update={"rate_limit_per_minute": LIMIT}), database=db)
    wait_for_window_room()
    with TestClient(app, raise_server_exceptions=False) as client:
        headers = {"Authorization": f"Bearer {token}"}
        statuses = [
            client.get("/v1/connect/events", headers=headers).status_code for _ in range(LIMIT)
        ]
        throttled = client.get("/v1/connect/events", headers=headers)
    assert statuses == [200] * LIMIT
    assert throttled.status_code == 429
    assert throttled.json() == {"message": "Too Many Attempts."}
    assert 1 <= int(throttled.headers["retry-after"]) <= 60


def test_limits_are_off_by_default(client, db):
    key, secret = make_key(db, "a@example.com")
    params = {"format": "json", "api_key": key, "api_secret": secret}
    assert Settings().rate_limit_per_minute == 0
    for _ in range(40):
        assert error_code(client.get("/rest/races", params=params)) is None
    with db.reading() as session:
        assert session.execute(select(RateCounter)).first() is None


def test_old_windows_are_pruned(db, monkeypatch):
    monkeypatch.setitem(limits._last_prune, "at", float("-inf"))
    start = datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC)
    with db.transaction() as session:
        limits.count_hit(session, bucket="stale", window_seconds=60, now=start)
        for minute in range(3):
            for _ in range(2):
                limits.count_hit(
                    session, bucket="live", window_seconds=60, now=start + timedelta(minutes=minute)
                )
    with db.reading() as session:
        rows = session.execute(select(RateCounter.bucket, RateCounter.count)).all()
    # One row per live bucket (its past windows went with each new window's first hit).
    assert sorted(rows) == [("live", 2), ("stale", 1)]
    monkeypatch.setitem(limits._last_prune, "at", float("-inf"))
    with db.transaction() as session:
        limits.count_hit(session, bucket="late", window_seconds=60, now=start + timedelta(days=2))
    with db.reading() as session:
        assert session.execute(select(RateCounter.bucket)).scalars().all() == ["late"]


@pytest.mark.slow
@pytest.mark.parametrize("dialect", ["runsignup", "tracx"])
def test_the_limit_holds_across_two_server_processes(settings, db, tmp_path: Path, dialect):
    """A burst of parallel requests split over two processes: exactly `limit` get through."""
    race = seed_race(db)
    key, secret = make_key(db, "a@example.com")
    token = connect_token(db, owner_email=race.owner_email)
    limit = 5
    env = {"STARTLINE_RATE_LIMIT_PER_MINUTE": str(limit)}
    with (
        running_server(settings, tmp_path / "one", **env) as one,
        running_server(settings, tmp_path / "two", **env) as two,
    ):

        def call(index: int) -> bool:
            """True when the request got through, False when it was throttled."""
            base = (one, two)[index % 2].base_url
            if dialect == "tracx":
                response = httpx.get(
                    f"{base}/v1/connect/events", timeout=60, headers={"Authorization": token}
                )
                assert response.status_code in {200, 429}
                return response.status_code == 200
            response = httpx.get(
                f"{base}/rest/races",
                timeout=60,
                params={"format": "json", "api_key": key, "api_secret": secret},
            )
            if "error" not in response.json():
                return True
            assert_throttled(response)
            return False

        wait_for_window_room(6)
        barrier = threading.Barrier(4 * limit)

        def at_once(index: int) -> bool:
            barrier.wait(timeout=30)
            return call(index)

        with ThreadPoolExecutor(max_workers=4 * limit) as pool:
            accepted = sum(pool.map(at_once, range(4 * limit)))
    assert accepted == limit

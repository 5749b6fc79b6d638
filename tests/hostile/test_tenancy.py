"""Tenancy and auth: a token scoped to one race or timer reaches no other race on any Tracx
endpoint (connect token and session token alike), a RunSignup key reaches no other user's race;
revoked and expired credentials stop at once on every server process; the login lockout and
signature replay protection hold under concurrent attempts on two server processes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from startline.db.base import utcnow
from startline.db.engine import Database
from startline.dialects.runsignup.signature import sign
from startline.domain.accounts import service as accounts
from startline.domain.accounts.models import ConnectToken, SigningIdentity, TemporaryCredential
from startline.domain.participants.models import Participant
from startline.domain.races.models import Race
from tests.contract.runsignup.conftest import race_doc, to_xml
from tests.support.server import running_server
from tests.support.world import SeededRace, seed_race

PASSWORD = "tenancy-password"


@dataclass
class Tenants:
    alice: tuple[str, str]  # api key and secret
    bob: tuple[str, str]
    race_a: SeededRace  # alice's, public
    draft_a: SeededRace  # alice's, a draft
    race_b: SeededRace  # bob's
    race_t: SeededRace  # bob's, timed by the timer
    race_token: str  # alice, scope: race A
    timer_token: str  # bob, scope: the timer (race T)
    signing_id: int
    signing_secret: str


def make_user(db: Database, email: str) -> tuple[str, str]:
    with db.transaction() as session:
        accounts.create_user(session, email=email, password=PASSWORD, first_name="F", last_name="L")
        issued = accounts.create_api_key(session, email=email)
    return issued.key, issued.secret


@pytest.fixture
def tenants(app, db: Database) -> Tenants:
    alice, bob = make_user(db, "alice@example.com"), make_user(db, "bob@example.com")
    with db.transaction() as session:
        timer_id = accounts.create_timer(session, name="Timer").id
    race_a = seed_race(db, owner_email="alice@example.com", url_string="RaceA")
    draft_a = seed_race(db, owner_email="alice@example.com", url_string="DraftA")
    race_b = seed_race(db, owner_email="bob@example.com", url_string="RaceB")
    race_t = seed_race(db, owner_email="bob@example.com", url_string="RaceT", timer_id=timer_id)
    with db.transaction() as session:
        session.execute(update(Race).where(Race.id == draft_a.race_id).values(is_draft=True))
        session.execute(update(Race).values(contact_email="contact@example.com"))
        race_token = accounts.create_connect_token(
            session,
            owner_email="alice@example.com",
            permissions=accounts.PERMISSIONS,
            race_ids=[race_a.race_id],
        ).token
        timer_token = accounts.create_connect_token(
            session,
            owner_email="bob@example.com",
            permissions=accounts.PERMISSIONS,
            timer_id=timer_id,
        ).token
        partner = accounts.create_partner(session, name="P", box=app.state.services.box)
    return Tenants(
        alice,
        bob,
        race_a,
        draft_a,
        race_b,
        race_t,
        race_token,
        timer_token,
        partner.signing_id,
        partner.signing_secret,
    )


def runner(event_id: int, unique_id: str = "u1") -> dict[str, Any]:
    return {
        "unique_id": unique_id,
        "first_name": "A",
        "last_name": "B",
        "date_of_birth": "1990-01-01",
        "start_number": unique_id,
        "chip_code": "CHIP001",
        "race_id": event_id,
    }


def participant_count(db: Database) -> int:
    with db.reading() as session:
        return session.execute(select(func.count()).select_from(Participant)).scalar_one()


def session_token(client: Any, token: str) -> str:
    response = client.post("/v1/connect/session-token", headers={"Authorization": token})
    assert response.status_code == 200, response.text
    return response.json()["data"]["token"]


def tracx_calls(own: SeededRace, other: SeededRace) -> list[tuple[str, Callable]]:
    """Every Tracx endpoint aimed at `other`, as (name, call(client, authorization))."""
    return [
        (
            "list races",
            lambda c, a: c.get(
                "/v1/connect/races",
                params={"event_id": other.edition_id},
                headers={"Authorization": a},
            ),
        ),
        (
            "store one",
            lambda c, a: c.post(
                "/v1/connect/participant",
                json=runner(other.event_ids[0]),
                headers={"Authorization": a},
            ),
        ),
        (
            "store batch",
            lambda c, a: c.post(
                f"/v1/connect/events/{other.edition_id}/participants",
                json=[runner(other.event_ids[0])],
                headers={"Authorization": a},
            ),
        ),
        (
            "batch smuggling one",
            lambda c, a: c.post(
                f"/v1/connect/events/{own.edition_id}/participants",
                json=[runner(own.event_ids[0], "u1"), runner(other.event_ids[0], "u2")],
                headers={"Authorization": a},
            ),
        ),
    ]


@pytest.mark.parametrize("scope", ["race", "timer"])
@pytest.mark.parametrize("credential", ["connect token", "session token"])
def test_a_scoped_token_reaches_no_other_race(client, db, tenants, scope, credential):
    token, own = (
        (tenants.race_token, tenants.race_a)
        if scope == "race"
        else (tenants.timer_token, tenants.race_t)
    )
    if credential == "session token":
        token = session_token(client, token)
    others = [
        r for r in (tenants.race_a, tenants.draft_a, tenants.race_b, tenants.race_t) if r is not own
    ]
    events = client.get("/v1/connect/events", headers={"Authorization": token})
    assert [item["id"] for item in events.json()["data"]["items"]] == [own.edition_id]
    for other in others:
        for name, call in tracx_calls(own, other):
            response = call(client, token)
            if name == "list races":
                assert response.status_code == 200 and response.json()["data"]["items"] == []
            else:
                assert response.status_code == 422, (name, response.text)
    assert participant_count(db) == 0
    # ...while the same calls on the token's own race do work (the test can fail).
    mine = client.get(
        "/v1/connect/races", params={"event_id": own.edition_id}, headers={"Authorization": token}
    )
    assert len(mine.json()["data"]["items"]) == len(own.event_ids)
    stored = client.post(
        "/v1/connect/participant", json=runner(own.event_ids[0]), headers={"Authorization": token}
    )
    assert stored.status_code == 200 and participant_count(db) == 1


def edit_doc(race: SeededRace, name: str) -> str:
    doc = race_doc(name=name)
    doc.pop("url_string")
    doc["events"] = [
        {**doc["events"][0], "event_id": event_id, "name": f"E{event_id}"}
        for event_id in race.event_ids
    ]
    return to_xml(doc)


def rsu_edit(client: Any, tenants: Tenants, key: dict[str, str], race: SeededRace) -> Any:
    signature = sign(
        tenants.signing_id,
        tenants.signing_secret,
        int(time.time()),
        f"{time.monotonic_ns() % 10**8:08d}",
    )
    return client.post(
        "/rest/race",
        params={"format": "json", **key, "protected_api_signature": signature},
        data={
            "race_id": str(race.race_id),
            "request_format": "xml",
            "request": edit_doc(race, "Taken over"),
        },
    )


def error(response: Any) -> int | None:
    assert response.status_code == 200, response.text
    body = response.json()
    return body["error"]["error_code"] if "error" in body else None


def login(client: Any, email: str, password: str = PASSWORD) -> Any:
    return client.post(
        "/rest/login", params={"format": "json"}, data={"email": email, "password": password}
    )


def test_a_runsignup_key_reaches_no_other_users_race(client, tenants):
    bob_key = {"api_key": tenants.bob[0], "api_secret": tenants.bob[1]}
    tmp = login(client, "bob@example.com").json()
    bob_tmp = {"tmp_key": tmp["tmp_key"], "tmp_secret": tmp["tmp_secret"]}
    for key in (bob_key, bob_tmp):
        for race in (tenants.race_a, tenants.draft_a):
            assert error(rsu_edit(client, tenants, key, race)) == 7
        draft = client.get(
            f"/rest/race/{tenants.draft_a.race_id}", params={"format": "json", **key}
        )
        assert error(draft) == 201
        listed = client.get("/rest/races", params={"format": "json", **key}).json()["races"]
        assert tenants.draft_a.race_id not in {r["race"]["race_id"] for r in listed}
        public = client.get(
            f"/rest/race/{tenants.race_a.race_id}", params={"format": "json", **key}
        ).json()["race"]
        assert "contact@example.com" not in str(public)
    with client.app.state.services.db.reading() as session:
        names = session.execute(select(Race.name)).scalars().all()
    assert "Taken over" not in names
    # Alice may: the refusals above are about tenancy, not a broken request.
    alice_key = {"api_key": tenants.alice[0], "api_secret": tenants.alice[1]}
    assert error(rsu_edit(client, tenants, alice_key, tenants.race_a)) is None


def test_credentials_of_one_dialect_are_nothing_in_the_other(client, tenants):
    key, secret = tenants.alice
    for authorization in (f"{key}|{secret}", secret, f"Bearer {key}"):
        assert (
            client.get("/v1/connect/events", headers={"Authorization": authorization}).status_code
            == 401
        )
    token_id, token_secret = tenants.race_token.split("|")
    params = {"format": "json", "api_key": token_id, "api_secret": token_secret}
    assert error(client.get("/rest/races", params=params)) == 6


def fresh_get(url: str, **kwargs: Any) -> httpx.Response:
    """A new connection each time, so requests spread over the server's processes."""
    with httpx.Client(timeout=30) as http:
        return http.get(url, **kwargs)


@pytest.mark.slow
def test_revoked_and_expired_credentials_stop_at_once_on_every_process(
    settings, db, tenants, tmp_path: Path
):
    with running_server(settings, tmp_path / "server", workers=2) as server:
        base = server.base_url
        key, secret = tenants.alice
        rsu_params = {"format": "json", "api_key": key, "api_secret": secret}
        tmp = httpx.post(
            f"{base}/rest/login",
            params={"format": "json"},
            timeout=30,
            data={"email": "alice@example.com", "password": PASSWORD},
        ).json()
        tmp_params = {"format": "json", "tmp_key": tmp["tmp_key"], "tmp_secret": tmp["tmp_secret"]}
        jwt_text = httpx.post(
            f"{base}/v1/connect/session-token",
            timeout=30,
            headers={"Authorization": tenants.race_token},
        ).json()["data"]["token"]
        races_url = f"{base}/rest/races"
        events_url = f"{base}/v1/connect/events"
        for _ in range(1):  # all live first
            assert error(fresh_get(races_url, params=rsu_params)) is None
            assert error(fresh_get(races_url, params=tmp_params)) is None
            assert fresh_get(events_url, headers={"Authorization": jwt_text}).status_code == 200
            assert (
                fresh_get(events_url, headers={"Authorization": tenants.timer_token}).status_code
                == 200
            )

        with db.transaction() as session:
            accounts.revoke_api_key(session, key=key)
            accounts.revoke_connect_token(session, token_id=int(tenants.race_token.split("|")[0]))
            session.execute(
                update(TemporaryCredential).values(last_used_at=utcnow() - timedelta(hours=2))
            )
            session.execute(
                update(ConnectToken)
                .where(ConnectToken.id == int(tenants.timer_token.split("|")[0]))
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )
        for _ in range(4):
            assert error(fresh_get(races_url, params=rsu_params)) == 6
            assert error(fresh_get(races_url, params=tmp_params)) == 6
            for authorization in (tenants.race_token, jwt_text, tenants.timer_token):
                response = fresh_get(events_url, headers={"Authorization": authorization})
                assert response.status_code == 401


def test_logout_and_a_revoked_signing_identity_stop_at_once(client, db, tenants):
    tmp = login(client, "alice@example.com").json()
    tmp_params = {"format": "json", "tmp_key": tmp["tmp_key"], "tmp_secret": tmp["tmp_secret"]}
    assert error(client.get("/rest/races", params=tmp_params)) is None
    assert error(client.post("/rest/logout", params=tmp_params)) is None
    assert error(client.get("/rest/races", params=tmp_params)) == 6
    alice_key = {"api_key": tenants.alice[0], "api_secret": tenants.alice[1]}
    assert error(rsu_edit(client, tenants, alice_key, tenants.race_a)) is None
    with db.transaction() as session:
        session.execute(update(SigningIdentity).values(revoked_at=utcnow()))
    assert error(rsu_edit(client, tenants, alice_key, tenants.race_a)) == 290


def test_login_lockout(client, tenants, settings):
    for _ in range(settings.login_max_failures):
        assert error(login(client, "alice@example.com", "wrong")) == 102
    assert error(login(client, "alice@example.com")) == 103
    assert error(login(client, "ALICE@example.com ")) == 103  # the same account, spelled out
    assert error(login(client, "bob@example.com")) is None  # another account is untouched


def parallel(count: int, call: Callable[[int], httpx.Response]) -> list[httpx.Response]:
    barrier = threading.Barrier(count)

    def run(index: int) -> httpx.Response:
        barrier.wait(timeout=30)
        return call(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


@pytest.mark.slow
def test_concurrent_wrong_logins_get_no_more_tries_than_the_lockout_allows(
    settings, db, tenants, tmp_path: Path
):
    max_failures, attempts = 3, 12  # few argon2 checks: they cost ~0.2 s of CPU each
    env = {"STARTLINE_LOGIN_MAX_FAILURES": str(max_failures)}
    with (
        running_server(settings, tmp_path / "one", **env) as one,
        running_server(settings, tmp_path / "two", **env) as two,
    ):

        def wrong(index: int) -> httpx.Response:
            base = (one, two)[index % 2].base_url
            return httpx.post(
                f"{base}/rest/login",
                params={"format": "json"},
                timeout=60,
                data={"email": "alice@example.com", "password": f"wrong{index}"},
            )

        codes = [error(response) for response in parallel(attempts, wrong)]
        right = httpx.post(
            f"{one.base_url}/rest/login",
            params={"format": "json"},
            timeout=60,
            data={"email": "alice@example.com", "password": PASSWORD},
        )
    assert set(codes) <= {102, 103}
    assert codes.count(102) <= max_failures, codes
    assert error(right) == 103


@pytest.mark.slow
def test_a_signature_is_spent_once_across_two_processes(settings, db, tenants, tmp_path: Path):
    signature = sign(tenants.signing_id, tenants.signing_secret, int(time.time()), "replay01")
    key, secret = tenants.alice
    with (
        running_server(settings, tmp_path / "one") as one,
        running_server(settings, tmp_path / "two") as two,
    ):

        def post(index: int) -> httpx.Response:
            base = (one, two)[index % 2].base_url
            return httpx.post(
                f"{base}/rest/race",
                timeout=60,
                params={
                    "format": "json",
                    "api_key": key,
                    "api_secret": secret,
                    "protected_api_signature": signature,
                },
                data={
                    "race_id": str(tenants.race_a.race_id),
                    "request_format": "xml",
                    "request": edit_doc(tenants.race_a, "Replayed"),
                },
            )

        codes = [error(response) for response in parallel(8, post)]
    assert sorted(codes, key=str) == [292] * 7 + [None]

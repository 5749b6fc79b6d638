"""Real RunSignup clients, replayed byte for byte: the requests OpenSplitTime, PikaTimer, a
Java timing integration, the official PHP client and RunSignup's iOS timing app send for
start lists and bib assignment, and the fields each of them reads from the answers."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from startline.domain.races.models import Event
from tests.contract.runsignup.conftest import PASSWORD, Rsu
from tests.support.world import (
    StartWorld,
    add_runners,
    build_start_world,
    runner,
    set_times,
)

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def start(rsu: Rsu, db) -> StartWorld:
    return build_start_world(db, owner_id=rsu.owner.user_id)


def _many(db, world: StartWorld, count: int, event_id: int | None = None) -> list[int]:
    return add_runners(
        db,
        world.edition_1,
        [
            runner(
                event_id or world.event_10k,
                f"Runner{i:04d}",
                f"First{i}",
                bib=str(i + 1),
                born=date(1970 + i % 40, 1 + i % 12, 1 + i % 28),
                gender=("male", "female", "neutral")[i % 3],
                country="us",
            )
            for i in range(count)
        ],
    )


def _keys(rsu: Rsu) -> str:
    return f"api_key={rsu.owner.api_key}&api_secret={rsu.owner.api_secret}"


def _login(rsu: Rsu) -> dict[str, str]:
    body = rsu.client.post(
        "/Rest/login?format=json", data={"email": rsu.owner.email, "password": PASSWORD}
    ).json()
    return {"tmp_key": body["tmp_key"], "tmp_secret": body["tmp_secret"]}


# --- OpenSplitTime (Ruby; recorded traffic) ------------------------------------------------


def test_opensplittime_pages_by_page_until_a_blank_list(rsu, start, db):
    ids = _many(db, start, 450)
    seen: list[int] = []
    page = 1
    while True:
        url = (
            f"/Rest/race/{start.race_id}/participants?{_keys(rsu)}&event_id={start.event_10k}"
            f"&format=json&include_questions=T&page={page}&results_per_page=200"
            "&sort=registration_id%20ASC"
        )
        body = rsu.client.get(url).json()
        participants = body[0]["participants"]
        if not participants:
            break
        for item in participants:
            user = item["user"]
            assert isinstance(user["first_name"], str) and isinstance(user["last_name"], str)
            assert date.fromisoformat(user["dob"])
            assert user["gender"] in ("M", "F", None)
            assert user["email"] is None and user["phone"] is None
            address = user["address"]
            assert (address["city"], address["state"], address["country_code"]) == (
                None,
                None,
                "US",
            )
            assert isinstance(item["bib_num"], int)
            assert item["question_responses"] == []
            seen.append(item["registration_id"])
        page += 1
    assert page == 4 and seen == ids  # three pages, then the blank one that ends the loop


def test_opensplittime_reads_the_race_for_event_ids_and_times(rsu, start):
    url = f"/Rest/race/{start.race_id}?{_keys(rsu)}&format=json&include_questions=T"
    events = rsu.client.get(url).json()["race"]["events"]
    assert [e["event_id"] for e in events] == [start.event_10k, start.event_5k, start.event_next]
    assert events[0]["name"] == "10K" and events[0]["start_time"] == "5/1/2030 09:00"
    assert events[0]["end_time"] is None


def test_opensplittime_error_bodies_are_the_recorded_bytes(rsu, start):
    stranger = rsu.add_account("stranger@example.com")
    query = f"event_id={start.event_10k}&format=json&page=1&results_per_page=200"
    unknown_race = rsu.client.get(f"/Rest/race/9999999/participants?{_keys(rsu)}&{query}")
    assert unknown_race.content == b'{"error":{"error_code":201,"error_msg":"Race not found."}}'
    unknown_event = rsu.client.get(
        f"/Rest/race/{start.race_id}/participants?{_keys(rsu)}&event_id=9999999&format=json"
    )
    assert unknown_event.content == b'{"error":{"error_code":301,"error_msg":"Event not found."}}'
    keys = f"api_key={stranger.api_key}&api_secret={stranger.api_secret}"
    denied = rsu.client.get(f"/Rest/race/{start.race_id}/participants?{keys}&{query}")
    assert denied.content == b'{"error":{"error_code":7,"error_msg":"Permission Denied"}}'
    assert denied.headers["content-type"] == "application/json; charset=utf-8"


# --- PikaTimer (Java) ------------------------------------------------------------------------


def _pika_get(rsu: Rsu, world: StartWorld, page: int, since: int) -> bytes:
    url = (
        f"/Rest/race/{world.race_id}/participants?format=json&event_id={world.event_10k}"
        f"&page={page}&results_per_page=1000&modified_after_timestamp={since}"
        "&include_user_anonymous_flag=T&include_questions=T&include_registration_addons=T"
        f"&supports_nb=T&{_keys(rsu)}"
    )
    response = rsu.client.get(url)
    assert response.status_code == 200
    return response.content


def _pika_sync(rsu: Rsu, world: StartWorld, since: int) -> list[dict[str, Any]]:
    """Pages of 1000 while a page is full; the body must start with `[{`."""
    runners: list[dict[str, Any]] = []
    page = 1
    while True:
        body = _pika_get(rsu, world, page, since)
        assert body.startswith(b"[{")
        participants = json.loads(body)[0].get("participants")
        if participants is None:
            break
        runners += participants
        if len(participants) < 1000:
            break
        page += 1
    return runners


def test_pikatimer_syncs_everything_then_what_changed(rsu, start, db):
    ids = _many(db, start, 1500)
    set_times(db, ids, updated_at=datetime(2025, 1, 1, tzinfo=UTC))
    first = _pika_sync(rsu, start, 0)
    assert [p["registration_id"] for p in first] == ids
    sample = first[2]
    assert sample["user"]["gender"] == "X"  # supports_nb=T
    assert sample["participant_addons"] == [] and sample["question_responses"] == []
    for key in ("user_id", "first_name", "middle_name", "last_name", "email", "gender", "dob"):
        assert key in sample["user"]
    assert isinstance(sample["age"], int) and isinstance(sample["bib_num"], int)
    assert {"city", "state", "country_code"} <= set(sample["user"]["address"])

    # PikaTimer then assigns bibs: urlencoded, the request as raw JSON, edits with
    # restrict_potential_dup=T.
    since = int(datetime.now(UTC).timestamp()) - 10  # RunSignup's advice: ten seconds back
    document = {
        "participants": [
            {
                "registration_id": ids[5],
                "bib_num": 9001,
                "user": {
                    "first_name": "First5",
                    "last_name": "Runner0005",
                    "middle_name": None,
                    "gender": "M",
                    "address": {"city": "Moorestown", "state": "NJ", "country_code": "US"},
                    "dob": "1975-06-06",
                },
                "age": 44,
            },
            {"registration_id": ids[7], "bib_num": None, "user": {"first_name": "First7"}},
        ]
    }
    body = (
        f"event_id={start.event_10k}&restrict_potential_dup=T&clear_null_corrals=F"
        f"&request_format=json&request={json.dumps(document)}"
    )
    response = rsu.client.post(
        f"/Rest/race/{start.race_id}/participants?format=json&{_keys(rsu)}",
        content=body,
        headers=FORM,
    )
    assert [p["registration_id"] for p in response.json()["participants"]] == [ids[5], ids[7]]
    changed = _pika_sync(rsu, start, since)
    assert [(p["registration_id"], p["bib_num"]) for p in changed] == [
        (ids[5], 9001),
        (ids[7], None),
    ]
    assert changed[0]["user"]["first_name"] == "First5"  # the user was not edited


def test_pikatimer_adds_a_runner(rsu, start, db):
    document = {
        "participants": [
            {
                "user_id": 12345,
                "bib_num": 77,
                "user": {
                    "first_name": "Pat",
                    "last_name": "Doe",
                    "middle_name": None,
                    "gender": "F",
                    "address": {"city": "Oslo", "state": "", "country_code": "NO"},
                    "dob": "1980-01-01",
                },
                "age": 50,
            }
        ]
    }
    body = (
        f"event_id={start.event_10k}&restrict_potential_dup=F&clear_null_corrals=F"
        f"&request_format=json&request={json.dumps(document)}"
    )
    response = rsu.client.post(
        f"/Rest/race/{start.race_id}/participants?format=json&{_keys(rsu)}",
        content=body,
        headers=FORM,
    )
    (added,) = [p["registration_id"] for p in response.json()["participants"]]
    (listed,) = _pika_sync(rsu, start, 0)
    assert listed["registration_id"] == added and listed["imported"] == "F"
    assert listed["user"]["address"]["country_code"] == "NO" and listed["bib_num"] == 77


# --- A Java timing integration (Gson; pages by after_registration_id only) -----------------


def test_java_client_pages_by_after_registration_id_over_a_comma_list(rsu, start, db):
    # A runner of another race takes id 1: the client starts after registration 1.
    other = add_runners(
        db,
        _edition_of(db, start.other_event),
        [runner(start.other_event, "Elsewhere")],
    )
    assert other == [1]
    ten = _many(db, start, 1300, start.event_10k)
    five = _many_five(db, start, 900)
    seen: list[int] = []
    after = 1
    since = 0
    while True:
        url = (
            f"/rest/race/{start.race_id}/participants?{_keys(rsu)}&race_id={start.race_id}"
            f"&event_id={start.event_10k},{start.event_5k}&include_questions=T"
            "&include_registration_addons=T&include_registration_notes=T"
            f"&results_per_page=1000&after_registration_id={after}"
            f"&modified_after_timestamp={since}&format=json"
        )
        body = rsu.client.get(url).json()
        flat = [p for element in body for p in element.get("participants", [])]
        if not flat:
            break
        for item in flat:
            datetime.strptime(item["registration_date"], "%m/%d/%Y %H:%M")
            assert isinstance(item["last_modified"], int)
            assert item["question_responses"] == [] and item["participant_addons"] == []
            assert isinstance(item["event_id"], int) and item["transaction_id"] is None
        seen += [p["registration_id"] for p in flat]
        after = max(p["registration_id"] for p in flat)
    assert sorted(seen) == sorted(ten + five) and len(seen) == len(set(seen))


def _edition_of(db, event_id: int) -> int:
    with db.reading() as s:
        event = s.get(Event, event_id)
        assert event is not None
        return event.edition_id


def _many_five(db, world: StartWorld, count: int) -> list[int]:
    return add_runners(
        db,
        world.edition_1,
        [runner(world.event_5k, f"Five{i:04d}", bib=f"F{i}") for i in range(count)],
    )


# --- The official PHP client (XML, temporary credentials) ----------------------------------


def test_php_client_reads_xml_with_temporary_credentials(rsu, start, db):
    ids = _many(db, start, 260)
    tmp = _login(rsu)
    names: list[str] = []
    for page in (1, 2):
        url = (
            f"/Rest/Race/{start.race_id}/participants/?event_id={start.event_10k}&page={page}"
            f"&results_per_page=250&sort=registration_id&tmp_key={tmp['tmp_key']}"
            f"&tmp_secret={tmp['tmp_secret']}"
        )
        response = rsu.client.get(url)
        assert response.headers["content-type"] == "application/xml; charset=utf-8"
        root = ET.fromstring(response.content)
        (event,) = root.findall("event")
        for item in event.findall("participants/participant"):
            names.append(
                f"{item.findtext('registration_id')} {item.findtext('user/first_name')} "
                f"{item.findtext('user/last_name')}"
            )
    assert len(names) == 260
    assert names[0] == f"{ids[0]} First0 Runner0000"
    assert names[-1] == f"{ids[-1]} First259 Runner0259"


# --- RunSignup's iOS timing app (XML, tmp credentials) -------------------------------------


def test_ios_app_reads_xml_sorted_by_last_then_first_name(rsu, start, db):
    add_runners(
        db,
        start.edition_1,
        [
            runner(start.event_10k, "Young", "Zed", bib="3", born=date(2000, 5, 1)),
            runner(start.event_10k, "adams", "Bea", bib="1", gender="female"),
            runner(start.event_10k, "Adams", "Al", bib="2", gender="male"),
        ],
    )
    tmp = _login(rsu)
    url = (
        f"/rest/Race/{start.race_id}/participants?event_id={start.event_10k}&page=1"
        f"&sort=last_name,first_name&results_per_page=250&format=xml"
        f"&tmp_key={tmp['tmp_key']}&tmp_secret={tmp['tmp_secret']}"
    )
    root = ET.fromstring(rsu.client.get(url).content)
    rows = [
        (
            p.findtext("user/last_name"),
            p.findtext("user/first_name"),
            p.findtext("user/gender"),
            p.findtext("user/address/city"),
            p.findtext("user/address/state"),
            p.findtext("bib_num"),
            p.findtext("age"),
            p.findtext("registration_id") != "",
        )
        for p in root.findall("event/participants/participant")
    ]
    assert rows == [
        ("Adams", "Al", "M", "", "", "2", "", True),
        ("adams", "Bea", "F", "", "", "1", "", True),
        ("Young", "Zed", "", "", "", "3", "30", True),
    ]


def test_ios_app_posts_raw_json_and_reads_xml(rsu, start, db):
    (existing,) = add_runners(db, start.edition_1, [runner(start.event_10k, "Known")])
    tmp = _login(rsu)
    document = (
        '{"participants":[{"user":{"first_name":"New","last_name":"Runner",'
        '"address":{"state":"NJ","city":"Moorestown"}},"age":30,"gender":"F","bib_num":"12"},'
        f'{{"user":{{"first_name":"Known","last_name":"Runner"}},"age":40,"gender":"M",'
        f'"bib_num":"13","registration_id":{existing}}}]}}'
    )
    response = rsu.client.post(
        f"/rest/Race/{start.race_id}/participants?event_id={start.event_10k}"
        f"&tmp_key={tmp['tmp_key']}&tmp_secret={tmp['tmp_secret']}&format=xml",
        content=f"request_format=json&request={document}",
        headers=FORM,
    )
    root = ET.fromstring(response.content)
    ids = [p.findtext("registration_id") for p in root.iter("participant")]
    assert len(ids) == 2 and ids[1] == str(existing)
    listed = rsu.client.get(
        f"/rest/race/{start.race_id}/participants",
        params={"format": "json", "event_id": str(start.event_10k), **tmp},
    ).json()[0]["participants"]
    assert [(p["bib_num"], p["user"]["gender"]) for p in listed] == [(13, None), (12, "F")]


def test_a_sync_a_moment_later_sees_only_the_later_change(rsu, start, db):
    """modified_after_timestamp is on or after the runner's last change, to the second."""
    a, b = _many(db, start, 2)
    now = datetime.now(UTC).replace(microsecond=0)
    set_times(db, a, updated_at=now - timedelta(seconds=5))
    set_times(db, b, updated_at=now + timedelta(milliseconds=700))
    runners = _pika_sync(rsu, start, int(now.timestamp()))
    assert [p["registration_id"] for p in runners] == [b]
    assert runners[0]["last_modified"] == int(now.timestamp())

"""POST /rest/race/{race_id}/participants on the wire: edits of bibs and chips by
registration_id, new runners, the three body kinds and XML, every problem with its item's
index (all or nothing), the order of checks, and one uniqueness rule shared with Tracx."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from startline.domain.changes.models import Change
from startline.domain.participants.models import Participant
from tests.contract.runsignup.conftest import Account, Rsu, error_of, to_xml
from tests.hostile.snapshot import assert_unchanged, snapshot
from tests.support.world import StartWorld, add_runners, build_start_world, connect_token, runner


@pytest.fixture
def start(rsu: Rsu, db) -> StartWorld:
    return build_start_world(db, owner_id=rsu.owner.user_id)


def post(
    rsu: Rsu,
    world: StartWorld,
    participants: list[Any] | str,
    *,
    event_id: int | None = None,
    fmt: str = "json",
    account: Account | None = None,
    request_format: str = "json",
) -> Any:
    """Multipart, as the official PHP client sends forms."""
    if isinstance(participants, str):
        document = participants
    elif request_format == "json":
        document = json.dumps({"participants": participants})
    else:
        document = to_xml({"participants": participants})
    fields = {
        "event_id": str(event_id or world.event_10k),
        "request_format": request_format,
        "request": document,
    }
    return rsu.client.post(
        f"/rest/race/{world.race_id}/participants",
        params={**rsu.auth_query(account), "format": fmt},
        files={name: (None, value) for name, value in fields.items()},
    )


def saved(response: Any) -> list[int]:
    body = response.json()
    assert "participants" in body, body
    return [item["registration_id"] for item in body["participants"]]


def details(response: Any) -> list[tuple[int, int]]:
    """(index, code) of each detail of a 298."""
    body = response.json()
    assert body["error"]["error_code"] == 298, body
    return [(d["index"], d["error_code"]) for d in body["error"]["error_details"]]


def stored(db, participant_id: int) -> Participant:
    with db.reading() as s:
        found = s.get(Participant, participant_id)
        assert found is not None
        return found


def test_edits_set_clear_and_keep_bibs_and_chips_and_ignore_the_user(rsu, start, db):
    a, b, c = add_runners(
        db,
        start.edition_1,
        [
            runner(start.event_10k, "A", bib="1", chip="C1"),
            runner(start.event_10k, "B", bib="2", chip="C2"),
            runner(start.event_10k, "C", bib="3", chip="C3"),
        ],
    )
    response = post(
        rsu,
        start,
        [
            {"registration_id": c, "bib_num": 30, "chip_num": None},
            {"registration_id": str(a), "chip_num": "C-one", "user": {"first_name": "Zed"}},
            {"registration_id": b, "bib_num": "", "chip_num": " C2 "},
        ],
    )
    assert saved(response) == [c, a, b]  # request order
    assert (stored(db, c).start_number, stored(db, c).chip_code) == ("30", None)
    assert (stored(db, a).start_number, stored(db, a).chip_code) == ("1", "C-one")
    assert stored(db, a).first_name == "Kris"  # user is not editable through the API
    assert (stored(db, b).start_number, stored(db, b).chip_code) == (None, "C2")


def test_bibs_and_chips_swap_inside_one_request(rsu, start, db):
    a, b = add_runners(
        db,
        start.edition_1,
        [
            runner(start.event_10k, "A", bib="1", chip="C1"),
            runner(start.event_10k, "B", bib="2", chip="C2"),
        ],
    )
    response = post(
        rsu,
        start,
        [
            {"registration_id": a, "bib_num": 2, "chip_num": "C2"},
            {"registration_id": b, "bib_num": 1, "chip_num": "C1"},
        ],
    )
    assert saved(response) == [a, b]
    assert (stored(db, a).start_number, stored(db, b).start_number) == ("2", "1")
    assert (stored(db, a).chip_code, stored(db, b).chip_code) == ("C2", "C1")


def test_a_new_runner_from_user_and_beside_it(rsu, start, db):
    response = post(
        rsu,
        start,
        [
            {
                "user": {
                    "first_name": " Margie ",
                    "last_name": "Stephens",
                    "dob": "1986-01-06",
                    "gender": "f",
                    "address": {"country_code": "nl", "city": "Ignored"},
                },
                "bib_num": 45,
                "chip_num": "0000045",
            },
            # RunSignup's iOS app sends gender beside the user; no dob ("XXXX-XX-XX").
            {"user": {"first_name": "Sam", "last_name": "Lee", "dob": "XXXX-XX-XX"}, "gender": "X"},
        ],
        event_id=start.event_5k,
    )
    margie, sam = saved(response)
    first = stored(db, margie)
    assert (first.first_name, first.last_name, first.event_id) == (
        "Margie",
        "Stephens",
        start.event_5k,
    )
    assert (first.start_number, first.chip_code, first.gender) == ("45", "0000045", "female")
    assert (first.country_code, first.date_of_birth.isoformat()) == ("nl", "1986-01-06")
    assert (first.unique_id, first.origin) == (f"sl-{margie}", "runsignup")
    second = stored(db, sam)
    assert (second.gender, second.date_of_birth, second.start_number) == ("neutral", None, None)
    listed = rsu.client.get(
        f"/rest/race/{start.race_id}/participants",
        params={**rsu.auth_query(), "format": "json", "event_id": str(start.event_5k)},
    ).json()[0]["participants"]
    assert [(p["registration_id"], p["imported"]) for p in listed] == [(margie, "F"), (sam, "F")]


def test_a_tracx_client_updates_a_runner_added_here_by_its_unique_id(rsu, start, db, client):
    (added,) = saved(post(rsu, start, [{"user": {"first_name": "A", "last_name": "B"}}]))
    token = connect_token(db, owner_email=rsu.owner.email, race_ids=[start.race_id])
    response = client.post(
        "/v1/connect/participant",
        headers={"Authorization": token},
        json={
            "unique_id": f"sl-{added}",
            "first_name": "A",
            "last_name": "B",
            "date_of_birth": "2000-01-01",
            "start_number": "900",
            "chip_code": "0000900",
            "race_id": start.event_10k,
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["id"] == added


def test_a_bib_assigned_here_is_taken_for_tracx(rsu, start, db, client):
    (a,) = add_runners(db, start.edition_1, [runner(start.event_10k, "A")])
    assert saved(post(rsu, start, [{"registration_id": a, "bib_num": 77, "chip_num": "77"}]))
    token = connect_token(db, owner_email=rsu.owner.email, race_ids=[start.race_id])
    response = client.post(
        "/v1/connect/participant",
        headers={"Authorization": token, "Accept": "application/json"},
        json={
            "unique_id": "another",
            "first_name": "B",
            "last_name": "C",
            "date_of_birth": "2000-01-01",
            "start_number": "77",
            "chip_code": "0000078",
            "race_id": start.event_5k,  # another event of the same edition
        },
    )
    assert response.status_code == 422
    taken = ["The start number has already been taken."]
    assert response.json()["errors"] == {"start_number": taken}


def test_every_problem_with_its_index_and_nothing_written(rsu, start, db):
    a, b = add_runners(
        db,
        start.edition_1,
        [runner(start.event_10k, "A", bib="1", chip="C1"), runner(start.event_10k, "B", bib="2")],
    )
    (five,) = add_runners(db, start.edition_1, [runner(start.event_5k, "Five")])
    before = snapshot(db)
    with db.reading() as s:
        journaled = s.execute(select(func.count()).select_from(Change)).scalar_one()
    response = post(
        rsu,
        start,
        [
            {"registration_id": a, "chip_num": "C9"},  # fine on its own
            {"registration_id": b, "bib_num": "1"},  # 280: A keeps 1
            {"registration_id": b, "chip_num": "C8"},  # 287: B twice
            {"registration_id": five, "bib_num": "9"},  # 282: runner of another event
            {"registration_id": "abc"},  # 282
            {"registration_id": 999_999, "bib_num": "a b", "chip_num": "x" * 33},  # 282 115 116
            {"user": {"first_name": "", "dob": "1986-02-30", "gender": "Q"}},  # 283 284 285 286
            {
                "user": {"first_name": "N", "last_name": "L", "address": {"country_code": "XX"}},
                "bib_num": True,
                "chip_num": "\u00fc",
            },  # 112 115 116
            "not an object",  # 283 284
            {"user": {"first_name": "x" * 101, "last_name": "ok\u0007", "dob": "2999-01-01"}},
        ],
    )
    assert details(response) == [
        (1, 280),
        (2, 287),
        (3, 282),
        (4, 282),
        (5, 282),
        (5, 115),
        (5, 116),
        (6, 283),
        (6, 284),
        (6, 285),
        (6, 286),
        (7, 112),
        (7, 115),
        (7, 116),
        (8, 283),
        (8, 284),
        (9, 283),
        (9, 284),
        (9, 285),
    ]
    assert response.json()["error"]["error_msg"] == "Failed to save participants."
    first = response.json()["error"]["error_details"][0]
    assert first == {"error_code": 280, "error_msg": "Bib number is already in use.", "index": 1}
    assert_unchanged(before, snapshot(db))
    with db.reading() as s:
        assert s.execute(select(func.count()).select_from(Change)).scalar_one() == journaled


@pytest.mark.parametrize(
    ("bib", "ok"),
    [("A_1-b", True), ("1" * 100, True), ("1" * 101, False), (1.0, True), (1.5, False)],
)
def test_bib_rule(rsu, start, db, bib, ok):
    (a,) = add_runners(db, start.edition_1, [runner(start.event_10k, "A")])
    response = post(rsu, start, [{"registration_id": a, "bib_num": bib}])
    if ok:
        assert saved(response) == [a]
    else:
        assert details(response) == [(0, 115)]


@pytest.mark.parametrize(
    ("chip", "ok"),
    [("~ !", True), ("c" * 32, True), ("c" * 33, False), ("é", False), ("a\tb", False)],
)
def test_chip_rule(rsu, start, db, chip, ok):
    (a,) = add_runners(db, start.edition_1, [runner(start.event_10k, "A")])
    response = post(rsu, start, [{"registration_id": a, "chip_num": chip}])
    if ok:
        assert saved(response) == [a]
    else:
        assert details(response) == [(0, 116)]


def test_xml_in_and_out(rsu, start, db):
    (a,) = add_runners(db, start.edition_1, [runner(start.event_10k, "A")])
    response = post(
        rsu,
        start,
        [
            {"registration_id": a, "bib_num": "12", "chip_num": ""},
            {"user": {"first_name": "X", "last_name": "Y"}, "bib_num": "13"},
        ],
        fmt="xml",
        request_format="xml",
    )
    root = ET.fromstring(response.content)
    assert root.tag == "participants", response.text
    ids = [int(p.findtext("registration_id") or 0) for p in root.findall("participant")]
    assert ids[0] == a and len(ids) == 2
    assert stored(db, a).start_number == "12"
    # One participant in XML is still a list; an empty element clears.
    one = post(
        rsu,
        start,
        [{"registration_id": a, "bib_num": None}],
        fmt="xml",
        request_format="xml",
    )
    assert ET.fromstring(one.content).findtext("participant/registration_id") == str(a)
    assert stored(db, a).start_number is None
    refused = post(
        rsu,
        start,
        [{"registration_id": a, "bib_num": "13"}],
        fmt="xml",
        request_format="xml",
    )
    error = ET.fromstring(refused.content)
    assert error.findtext("error_code") == "298"
    assert error.findtext("error_details/error/error_code") == "280"
    assert error.findtext("error_details/error/index") == "0"


def test_urlencoded_bodies_plain_and_with_raw_json(rsu, start, db):
    (a,) = add_runners(db, start.edition_1, [runner(start.event_10k, "A")])
    document = json.dumps({"participants": [{"registration_id": a, "bib_num": "5&6"}]})
    url = f"/rest/race/{start.race_id}/participants"
    query = {**rsu.auth_query(), "format": "json"}
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    encoded = f"event_id={start.event_10k}&request_format=json&request={quote(document)}"
    response = rsu.client.post(url, params=query, content=encoded, headers=form)
    assert details(response) == [(0, 115)]  # "5&6" arrived whole, and is no bib
    document = json.dumps({"participants": [{"registration_id": a, "bib_num": "A+1"}]})
    raw = f"event_id={start.event_10k}&request_format=json&request={document}"
    response = rsu.client.post(url, params=query, content=raw, headers=form)
    assert details(response) == [(0, 115)]  # the raw value keeps its "+"
    raw = raw.replace("A+1", "A-1")
    response = rsu.client.post(url, params=query, content=raw, headers=form)
    assert saved(response) == [a] and stored(db, a).start_number == "A-1"


def test_checks_come_in_order(rsu, start, db):
    stranger = rsu.add_account("stranger@example.com")
    url = f"/rest/race/{start.race_id}/participants"
    good = {"event_id": str(start.event_10k), "request_format": "json", "request": "{}"}

    def send(path: str, query: dict[str, str], fields: dict[str, str]) -> Any:
        files = {name: (None, value) for name, value in fields.items()}
        return rsu.client.post(path, params={"format": "json", **query}, files=files)

    assert error_of(send("/rest/race/x/participants", {}, good)) == (201, [])
    assert error_of(send(url, {}, good)) == (6, [])
    assert error_of(send("/rest/race/999999/participants", rsu.auth_query(), good)) == (201, [])
    assert error_of(send(url, rsu.auth_query(stranger), {})) == (7, [])
    assert error_of(send(url, rsu.auth_query(), {**good, "event_id": ""})) == (3, [])
    assert error_of(send(url, rsu.auth_query(), {**good, "event_id": "1,2"})) == (3, [])
    assert error_of(send(url, rsu.auth_query(), {**good, "request": ""})) == (3, [])
    assert error_of(send(url, rsu.auth_query(), {**good, "request_format": "csv"})) == (3, [])
    assert error_of(send(url, rsu.auth_query(), {**good, "event_id": "999999"})) == (11, [])
    for document in ("{not json", "[1]", '{"participants": 5}', "{}"):
        bad = {**good, "event_id": "999999", "request": document}
        assert error_of(send(url, rsu.auth_query(), bad)) == (11, []), document
    empty = {**good, "request": '{"participants": []}'}
    assert error_of(send(url, rsu.auth_query(), {**empty, "event_id": "999999"})) == (301, [])
    other = {**empty, "event_id": str(start.other_event)}
    assert error_of(send(url, rsu.auth_query(), other)) == (301, [])
    assert send(url, rsu.auth_query(), empty).json() == {"participants": []}
    assert error_of(send(url, {**rsu.auth_query(), "format": "csv"}, empty)) == (10, [])


def test_too_many_participants(rsu, start):
    response = post(rsu, start, "{" + '"participants":[' + ",".join(["{}"] * 10_001) + "]}")
    assert details(response) == [(10_000, 288)]


def test_a_problem_only_the_wire_sees_still_writes_nothing(rsu, start, db):
    (a,) = add_runners(db, start.edition_1, [runner(start.event_10k, "A", bib="1")])
    before = snapshot(db)
    response = post(
        rsu,
        start,
        [
            {"registration_id": a, "bib_num": "2"},
            {"user": {"first_name": "New", "last_name": "Runner"}, "chip_num": "\u00e9"},
        ],
    )
    assert details(response) == [(1, 116)]
    assert_unchanged(before, snapshot(db))
    # And the same request without the problem writes both, journaled.
    response = post(
        rsu,
        start,
        [
            {"registration_id": a, "bib_num": "2"},
            {"user": {"first_name": "New", "last_name": "Runner"}, "chip_num": "e"},
        ],
    )
    new = saved(response)[1]
    with db.reading() as s:
        kinds = s.execute(
            select(Change.type, Change.participant_id).order_by(Change.position)
        ).all()
    assert [tuple(k) for k in kinds][-2:] in (
        [("participant.updated", a), ("participant.created", new)],
        [("participant.created", new), ("participant.updated", a)],
    )

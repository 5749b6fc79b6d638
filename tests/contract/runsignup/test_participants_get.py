"""GET /rest/race/{race_id}/participants on the wire: the JSON array and the XML, every field
of the mapping, paging over several events, parameters and their errors in the contract's
order, readers, and runners from every door seen at once."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from startline.domain.accounts.models import TimerMember
from startline.domain.participants.rows import full_row
from startline.domain.participants.service import upsert_participants
from tests.contract.runsignup.conftest import Account, Rsu, error_of
from tests.support.world import (
    StartWorld,
    add_runners,
    build_start_world,
    connect_token,
    runner,
    set_times,
)


@pytest.fixture
def start(rsu: Rsu, db) -> StartWorld:
    return build_start_world(db, owner_id=rsu.owner.user_id)


def path(world: StartWorld) -> str:
    return f"/rest/race/{world.race_id}/participants"


def get(rsu: Rsu, world: StartWorld, account: Account | None = None, **params: Any) -> Any:
    query = {**rsu.auth_query(account), "format": "json", **params}
    query.setdefault("event_id", str(world.event_10k))
    return rsu.client.get(path(world), params=query)


def runners_of(response: Any) -> list[dict[str, Any]]:
    body = response.json()
    assert isinstance(body, list), body
    return [p for element in body for p in element["participants"]]


def test_every_field_of_a_runner_in_json(rsu, start, db):
    (kris,) = add_runners(
        db,
        start.edition_1,
        [
            runner(
                start.event_5k,
                "Stephens",
                "Margie",
                bib="3",
                chip="0000003",
                born=date(1986, 1, 6),
                gender="female",
                country="nl",
                team="Harriers",
            )
        ],
    )
    # 2030-03-01 14:05:09 UTC is 09:05 in New York (EST).
    set_times(
        db,
        kris,
        created_at=datetime(2030, 3, 1, 14, 5, 9, tzinfo=UTC),
        updated_at=datetime(2030, 3, 2, 10, 0, 0, 900_000, tzinfo=UTC),
    )
    response = get(rsu, start, event_id=str(start.event_5k))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.content.startswith(b'[{"event":{"event_id":')
    assert response.json() == [
        {
            "event": {"event_id": start.event_5k, "participants": []},
            "participants": [
                {
                    "registration_id": kris,
                    "event_id": start.event_5k,
                    "rsu_transaction_id": None,
                    "transaction_id": None,
                    "bib_num": 3,
                    "chip_num": "0000003",
                    "age": 44,  # on the 5K's age date, 2030-12-31
                    "registration_date": "3/1/2030 09:05",
                    "team_id": None,
                    "team_name": "Harriers",
                    "team_type_id": None,
                    "team_type": None,
                    "team_gender": None,
                    "team_bib_num": None,
                    "last_modified": int(datetime(2030, 3, 2, 10, tzinfo=UTC).timestamp()),
                    "imported": "T",
                    "race_fee": "$0.00",
                    "offline_payment_amount": "$0.00",
                    "processing_fee": "$0.00",
                    "processing_fee_paid_by_user": "$0.00",
                    "processing_fee_paid_by_race": "$0.00",
                    "partner_fee": "$0.00",
                    "affiliate_profit": "$0.00",
                    "extra_fees": "$0.00",
                    "amount_paid": "$0.00",
                    "user": {
                        "user_id": kris,
                        "first_name": "Margie",
                        "middle_name": None,
                        "last_name": "Stephens",
                        "email": None,
                        "address": {
                            "street": None,
                            "city": None,
                            "state": None,
                            "zipcode": None,
                            "country_code": "NL",
                        },
                        "dob": "1986-01-06",
                        "gender": "F",
                        "phone": None,
                        "profile_image_url": None,
                    },
                }
            ],
        }
    ]
    # Key order is RunSignup's (a compact body, byte for byte what json.dumps would write).
    assert response.content == json.dumps(
        response.json(), ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")


def test_a_runner_added_here_is_not_imported_and_summer_time_is_eastern(rsu, start, db):
    (ours,) = add_runners(db, start.edition_1, [runner(start.event_10k, "Here")], "runsignup")
    set_times(db, ours, created_at=datetime(2030, 7, 4, 3, 30, tzinfo=UTC))
    (body,) = runners_of(get(rsu, start))
    assert body["imported"] == "F"
    assert body["registration_date"] == "7/3/2030 23:30"  # EDT, the day before
    assert body["age"] is None and body["user"]["dob"] is None
    assert body["bib_num"] is None and body["chip_num"] is None
    assert body["user"]["gender"] is None and body["user"]["address"]["country_code"] is None


@pytest.mark.parametrize(
    ("bib", "shown"),
    [
        ("3", 3),
        ("0", 0),
        ("007", "007"),
        ("A-1", "A-1"),
        ("9007199254740991", 9007199254740991),
        ("9007199254740992", "9007199254740992"),
        ("12345678901234567890", "12345678901234567890"),
    ],
)
def test_bib_num_is_a_number_only_when_a_double_holds_it_exactly(rsu, start, db, bib, shown):
    add_runners(db, start.edition_1, [runner(start.event_10k, "R", bib=bib)])
    (body,) = runners_of(get(rsu, start))
    assert body["bib_num"] == shown and type(body["bib_num"]) is type(shown)


def test_genders_and_supports_nb(rsu, start, db):
    add_runners(
        db,
        start.edition_1,
        [
            runner(start.event_10k, "M", gender="male"),
            runner(start.event_10k, "F", gender="female"),
            runner(start.event_10k, "X", gender="neutral"),
        ],
    )
    assert [b["user"]["gender"] for b in runners_of(get(rsu, start))] == ["M", "F", None]
    shown = runners_of(get(rsu, start, supports_nb="T"))
    assert [b["user"]["gender"] for b in shown] == ["M", "F", "X"]


def test_one_element_per_requested_event_in_request_order_every_page(rsu, start, db):
    ids = add_runners(
        db,
        start.edition_1,
        [runner(start.event_10k if i % 2 else start.event_5k, f"R{i}") for i in range(5)],
    )
    add_runners(db, start.edition_2, [runner(start.event_next, "Next")])
    events = f"{start.event_10k},{start.event_5k},{start.event_10k}"
    pages = [
        get(rsu, start, event_id=events, results_per_page="2", page=str(p)).json()
        for p in (1, 2, 3, 4)
    ]
    for page in pages:
        assert [e["event"] for e in page] == [
            {"event_id": start.event_10k, "participants": []},
            {"event_id": start.event_5k, "participants": []},
        ]
    seen = [[p["registration_id"] for e in page for p in e["participants"]] for page in pages]
    # Paged over both events together by id, then grouped per event.
    assert seen == [[ids[1], ids[0]], [ids[3], ids[2]], [ids[4]], []]
    everything = get(rsu, start, event_id=f"{start.event_next},{start.event_10k}").json()
    assert [len(e["participants"]) for e in everything] == [1, 2]


def test_xml_holds_the_runners_inside_their_event(rsu, start, db):
    ids = add_runners(
        db,
        start.edition_1,
        [
            runner(start.event_10k, "Kuiper", "Kris", bib="7", born=date(1990, 1, 1)),
            runner(start.event_5k, "O'Neil & Co", "<Ann>"),
        ],
    )
    response = get(rsu, start, format="xml", event_id=f"{start.event_10k},{start.event_5k}")
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == "events"
    events = root.findall("event")
    assert [e.findtext("event_id") for e in events] == [str(start.event_10k), str(start.event_5k)]
    first = events[0].find("participants/participant")
    assert first is not None
    assert first.findtext("registration_id") == str(ids[0])
    assert first.findtext("bib_num") == "7"
    assert first.findtext("user/first_name") == "Kris"
    assert first.findtext("user/address/country_code") == ""
    assert first.find("user/address/city") is not None
    assert first.findtext("age") == "40"
    assert first.findtext("imported") == "T"
    second = events[1].find("participants/participant")
    assert second is not None and second.findtext("user/last_name") == "O'Neil & Co"
    assert second.findtext("user/first_name") == "<Ann>"
    empty = get(rsu, start, format="xml", event_id=str(start.event_next))
    assert ET.fromstring(empty.content).find("event/participants") is not None


def test_include_flags_are_accepted(rsu, start, db):
    add_runners(db, start.edition_1, [runner(start.event_10k, "R")])
    (plain,) = runners_of(get(rsu, start))
    assert "question_responses" not in plain and "participant_addons" not in plain
    (body,) = runners_of(
        get(
            rsu,
            start,
            include_questions="T",
            include_registration_addons="T",
            include_registration_notes="T",
            include_user_anonymous_flag="T",
            include_corrals="T",
            exclude_registrations_via_super_event="T",
        )
    )
    assert body["question_responses"] == [] and body["participant_addons"] == []
    assert list(body)[-3:] == ["user", "question_responses", "participant_addons"]


def test_page_size_defaults_to_50_and_clamps_at_2500(rsu, start, db):
    rows = [
        full_row(start.event_10k, f"u{i}", None, None, "F", f"L{i}", None, {}, ())
        for i in range(2600)
    ]
    with db.transaction() as s:
        upsert_participants(s, edition_id=start.edition_1, rows=rows)
    assert len(runners_of(get(rsu, start))) == 50
    assert len(runners_of(get(rsu, start, results_per_page="999999999"))) == 2500
    assert len(runners_of(get(rsu, start, results_per_page="2500", page="2"))) == 100


def test_sort_words_arrive_with_plus_or_percent_20(rsu, start, db):
    ids = add_runners(db, start.edition_1, [runner(start.event_10k, f"R{i}") for i in range(3)])
    base = f"{path(start)}?api_key={rsu.owner.api_key}&api_secret={rsu.owner.api_secret}"
    base += f"&format=json&event_id={start.event_10k}"
    for sort in ("registration_id+DESC", "registration_id%20DESC", "REGISTRATION_ID%20desc"):
        response = rsu.client.get(f"{base}&sort={sort}")
        assert [b["registration_id"] for b in runners_of(response)] == ids[::-1], sort
    response = rsu.client.get(f"{base}&sort=last_name,first_name+ASC,bib_num%20DESC")
    assert [b["registration_id"] for b in runners_of(response)] == ids


def test_filters_on_the_wire(rsu, start, db):
    ids = add_runners(
        db,
        start.edition_1,
        [
            runner(start.event_10k, "Stephens", "Margie", bib="12"),
            runner(start.event_10k, "Gump", "Bubba", bib="13"),
            runner(start.event_10k, "Gumption", "Jenny", bib="14"),
        ],
    )
    t = datetime(2030, 3, 1, 12, tzinfo=UTC)
    for offset, participant_id in enumerate(ids):
        moment = t + timedelta(seconds=offset)
        set_times(db, participant_id, created_at=moment, updated_at=moment)
    second = int(t.timestamp())

    def found(**params: str) -> list[int]:
        return [b["registration_id"] for b in runners_of(get(rsu, start, **params))]

    assert found(modified_after_timestamp=str(second + 1)) == ids[1:]
    assert found(modified_after_timestamp="0") == ids
    assert found(modified_after_timestamp="999999999999999999") == []
    assert found(registered_after_timestamp=str(second + 2)) == ids[2:]
    assert found(registered_before_timestamp=str(second + 2)) == ids[:2]
    assert found(after_registration_id=str(ids[0])) == ids[1:]
    assert found(before_registration_id=str(ids[2])) == ids[:2]
    assert found(search_last_name="GUMP") == ids[1:]
    assert found(search_first_name="enn") == [ids[2]]
    assert found(search_bib="13") == [ids[1]]
    assert found(search_email="bubba@msn.com") == []
    assert found(sort="bib_num DESC", results_per_page="2") == [ids[2], ids[1]]


def test_checks_come_in_the_contracts_order(rsu, start, db):
    stranger = rsu.add_account("stranger@example.com")
    no_credentials = {"format": "json", "event_id": str(start.event_10k)}
    wrong = {"api_key": "nope", "api_secret": "nope", "format": "json", "event_id": "1"}
    client = rsu.client
    # 10: the format, before everything else.
    assert error_of(client.get("/rest/race/abc/participants?format=csv")) == (10, [])
    # 201: a race id that is not a number, before the credentials.
    assert error_of(client.get("/rest/race/abc/participants", params=no_credentials)) == (201, [])
    assert error_of(client.get("/rest/race/-1/participants", params=no_credentials)) == (201, [])
    # 6: no or wrong credentials, before the race is looked up.
    assert error_of(client.get(path(start), params=no_credentials)) == (6, [])
    assert error_of(client.get("/rest/race/999999/participants", params=wrong)) == (6, [])
    # 201: an unknown race, before the events (recorded: race first, even with a real event).
    unknown = client.get(
        "/rest/race/9999999/participants",
        params={**rsu.auth_query(), "format": "json", "event_id": str(start.event_10k)},
    )
    assert error_of(unknown) == (201, [])
    # 7: someone else's published race, before its parameters and events.
    assert error_of(get(rsu, start, stranger, event_id="x", page="0")) == (7, [])
    # 3: parameters, before the events.
    assert error_of(get(rsu, start, event_id="999999", page="0")) == (3, [])
    # 301: an event of no race, or of another race.
    assert error_of(get(rsu, start, event_id="999999")) == (301, [])
    assert error_of(get(rsu, start, event_id=str(start.other_event))) == (301, [])
    assert error_of(get(rsu, start, event_id=f"{start.event_10k},{start.other_event}")) == (
        301,
        [],
    )
    # The XML envelope when XML is asked for (the default).
    xml = client.get(path(start), params={**rsu.auth_query(), "event_id": "999999"})
    assert ET.fromstring(xml.content).findtext("error_code") == "301"


@pytest.mark.parametrize(
    "params",
    [
        {"event_id": ""},
        {"event_id": "abc"},
        {"event_id": "1,,2"},
        {"event_id": "-1"},
        {"event_id": ",".join(str(i) for i in range(1, 102))},
        {"page": "0"},
        {"page": "-1"},
        {"page": "1.5"},
        {"page": "1234567890"},
        {"results_per_page": "0"},
        {"results_per_page": "x"},
        {"sort": "height"},
        {"sort": "registration_id sideways"},
        {"sort": "registration_id ASC DESC"},
        {"sort": "registration_id,"},
        {"sort": ","},
        {"after_registration_id": "-5"},
        {"before_registration_id": "1e3"},
        {"modified_after_timestamp": "-1"},
        {"modified_after_timestamp": "1700000000.5"},
        {"registered_after_timestamp": "yesterday"},
        {"registered_before_timestamp": "9" * 19},
        {"search_last_name": "a\x00b"},
        {"search_first_name": "a\x7fb"},
        {"supports_nb": "maybe"},
        {"include_questions": "sure"},
    ],
)
def test_malformed_parameters_are_error_3(rsu, start, params):
    assert error_of(get(rsu, start, **params)) == (3, [])


def test_the_event_list_collapses_repeats_and_takes_up_to_100_events(rsu, start):
    many = ",".join([str(start.event_10k)] * 500)
    assert get(rsu, start, event_id=many).json() == [
        {"event": {"event_id": start.event_10k, "participants": []}, "participants": []}
    ]
    hundred = ",".join([str(start.event_10k), *(str(900_000 + i) for i in range(99))])
    assert error_of(get(rsu, start, event_id=hundred)) == (301, [])


def test_readers_are_owner_admins_and_the_timers_members(rsu, start, db):
    admin = rsu.add_account("admin@example.com", is_admin=True)
    member = rsu.add_account("member@example.com")
    stranger = rsu.add_account("stranger@example.com")
    with db.transaction() as s:
        s.add(TimerMember(timer_id=start.timer_id, user_id=member.user_id))
    add_runners(db, start.edition_1, [runner(start.event_10k, "R")])
    for account in (None, admin, member):
        assert len(runners_of(get(rsu, start, account))) == 1
    assert error_of(get(rsu, start, stranger)) == (7, [])


def test_a_draft_race_is_seen_by_its_readers_only(rsu, db):
    member = rsu.add_account("member@example.com")
    stranger = rsu.add_account("stranger@example.com")
    world = build_start_world(
        db, owner_id=rsu.owner.user_id, member_ids=(member.user_id,), draft=True
    )
    assert runners_of(get(rsu, world, member)) == []
    assert error_of(get(rsu, world, stranger)) == (201, [])
    race = f"/rest/race/{world.race_id}"
    seen = rsu.client.get(race, params={**rsu.auth_query(member), "format": "json"})
    assert seen.json()["race"]["is_draft_race"] == "T"
    hidden = rsu.client.get(race, params={**rsu.auth_query(stranger), "format": "json"})
    assert error_of(hidden) == (201, [])


def test_temporary_credentials_read_too(rsu, start, db):
    add_runners(db, start.edition_1, [runner(start.event_10k, "R")])
    login = rsu.client.post(
        "/rest/login",
        data={"email": rsu.owner.email, "password": "correct horse battery staple"},
        params={"format": "json"},
    ).json()
    response = rsu.client.get(
        path(start),
        params={
            "tmp_key": login["tmp_key"],
            "tmp_secret": login["tmp_secret"],
            "format": "json",
            "event_id": str(start.event_10k),
        },
    )
    assert len(runners_of(response)) == 1


def test_a_runner_pushed_through_tracx_is_read_at_once(rsu, start, db, client):
    token = connect_token(db, owner_email=rsu.owner.email, race_ids=[start.race_id])
    before = int(datetime.now(UTC).timestamp())
    pushed = client.post(
        "/v1/connect/participant",
        headers={"Authorization": token},
        json={
            "unique_id": "tracx-1",
            "first_name": "Zoë",
            "last_name": "Kuiper",
            "date_of_birth": "2001-01-01",
            "start_number": "501",
            "chip_code": "0000501",
            "gender": "female",
            "country_code": "nl",
            "race_id": start.event_10k,
        },
    )
    assert pushed.status_code == 200, pushed.text
    (body,) = runners_of(get(rsu, start, modified_after_timestamp=str(before)))
    assert body["registration_id"] == pushed.json()["data"]["id"]
    assert (body["bib_num"], body["chip_num"], body["imported"]) == (501, "0000501", "T")
    assert body["user"]["first_name"] == "Zoë" and body["user"]["address"]["country_code"] == "NL"
    assert body["last_modified"] >= before

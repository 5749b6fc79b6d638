"""Race create and edit rules on the wire: every validation detail, renewal, editions, past
events, preserve/delete of missing events, participants, partner and timer, throttling."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from startline.domain.accounts import service as accounts
from startline.domain.participants.models import Participant
from startline.domain.races.models import Event, Race
from tests.contract.runsignup.conftest import NEXT_YEAR, error_of, future, race_doc


def _event(name="5K", start=None, **extra):
    start = future() if start is None else start
    return {"name": name, "start_time": start, "event_type": "running_race", **extra}


def _with(doc, **address):
    doc = copy.deepcopy(doc)
    doc["address"].update(address)
    return doc


CASES = [
    ("name missing", race_doc(name="  "), 203),
    ("name too long", race_doc(name="n" * 129), 204),
    ("url invalid", race_doc("bad url!"), 215),
    ("url missing", race_doc(""), 215),
    ("url too long", race_doc("u" * 101), 215),
    ("draft flag", race_doc(draft_race="maybe"), 222),
    ("city missing", _with(race_doc(), city=None), 205),
    ("state missing in US", _with(race_doc(), state=""), 205),
    ("street too long", _with(race_doc(), street="s" * 513), 109),
    ("city too long", _with(race_doc(), city="c" * 129), 110),
    ("city characters", _with(race_doc(), city="<b>Town</b>"), 123),
    ("state invalid", _with(race_doc(), state="XX"), 111),
    ("country invalid", _with(race_doc(), country_code="ZZ"), 112),
    ("zip invalid", _with(race_doc(), zipcode="0805"), 113),
    ("contact email", race_doc(contact_email="not-an-email"), 226),
    ("timezone", race_doc(timezone="Mars/Olympus"), 214),
    ("timezone path", race_doc(timezone="../../etc/passwd"), 214),
    ("partner id", race_doc(partner_id=999), 221),
    ("partner id text", race_doc(partner_id="abc"), 221),
    ("partner token", race_doc(partner_token="nope.nope"), 229),
    ("timer", race_doc(timer_id=5), 294),
    ("no events", race_doc(events=[]), 217),
    ("events missing", race_doc(events=None), 217),
    ("event name", race_doc(events=[_event(name="")]), 218),
    ("start missing", race_doc(events=[_event(start="")]), 219),
    ("start format", race_doc(events=[_event(start="06/07/2030 08:00")]), 220),
    ("start not a date", race_doc(events=[_event(start=f"{NEXT_YEAR}-02-30 08:00")]), 220),
    (
        "far year",
        race_doc(timezone="Pacific/Kiritimati", events=[_event(start="0001-01-01 00:00")]),
        220,
    ),
    ("DST gap", race_doc(events=[_event(start=f"{NEXT_YEAR}-03-14 02:30:00")]), None),
    ("end before start", race_doc(events=[_event(end_time=f"{NEXT_YEAR}-06-07 07:00")]), 295),
    ("end format", race_doc(events=[_event(end_time="soon")]), 295),
    ("type missing", race_doc(events=[{"name": "x", "start_time": future()}]), 225),
    ("type invalid", race_doc(events=[_event(event_type="sprint")]), 228),
    ("distance negative", race_doc(events=[_event(distance=-1)]), 296),
    ("distance text", race_doc(events=[_event(distance="far")]), 296),
    ("distance units", race_doc(events=[_event(distance=5, distance_units="Y")]), 296),
    ("age date", race_doc(events=[_event(age_calc_base_date="12/31/2030")]), 297),
    ("event id on create", race_doc(events=[_event(event_id=77)]), None),
    ("past event", race_doc(events=[_event(start="2014-06-07 08:30:00")]), 227),
]


@pytest.mark.parametrize(("case", "doc", "code"), CASES, ids=[c[0] for c in CASES])
def test_each_create_problem(rsu, case, doc, code):
    if case == "DST gap":  # second Sunday of March: 02:00-03:00 does not exist in New York
        march = date(NEXT_YEAR, 3, 1)
        sunday = march + timedelta(days=(6 - march.weekday()) % 7 + 7)
        doc["events"][0]["start_time"] = f"{sunday.isoformat()} 02:30:00"
        code = 220
    if case == "event id on create":
        created = rsu.post_race(doc)
        assert "race" in created.json()  # create ignores nothing: new events, id unused
        return
    for request_format in ("json", "xml"):
        response = rsu.post_race(doc, request_format=request_format)
        assert error_of(response) == (202, [code]), (request_format, response.text)
    with rsu.db.reading() as session:
        assert session.execute(select(func.count()).select_from(Race)).scalar_one() == 0


def test_every_problem_is_reported_in_document_order(rsu):
    doc = race_doc(
        "bad url", name="", draft_race="X", contact_email="nope", timezone="Nowhere/Land"
    )
    doc["address"] = {"city": "", "country_code": "US", "state": "NJ", "zipcode": "1"}
    doc["events"] = [_event(name=""), _event(start="", event_type="zzz")]
    response = rsu.post_race(doc)
    assert error_of(response) == (202, [203, 215, 222, 205, 113, 226, 214, 218, 219, 228])


def test_url_string_taken_case_insensitively(rsu):
    rsu.create(race_doc("MyRace"))
    assert error_of(rsu.post_race(race_doc("myrace"))) == (202, [216])


def test_numbers_as_strings_and_json_booleans(rsu):
    doc = race_doc(draft_race=True)
    doc["events"][0].update(distance="26.2", distance_units="M")
    race = rsu.create(doc)
    assert race["is_draft_race"] == "T"
    assert race["events"][0]["distance"] == "26.2 Miles"
    doc = race_doc("Mile", draft_race=False)
    doc["events"][0].update(distance=1, distance_units="m")
    assert rsu.create(doc)["events"][0]["distance"] == "1 Mile"


def test_country_state_and_url(rsu):
    doc = _with(race_doc("Intl"), country_code="de", state=None, zipcode="10115", city="Bad Ems")
    race = rsu.create(doc)
    assert race["address"]["country_code"] == "DE"
    assert race["url"].endswith("/Race/DE/BadEms/Intl")


def test_past_is_judged_in_the_race_timezone(rsu):
    zone = ZoneInfo("Pacific/Kiritimati")  # UTC+14
    local = datetime.now(UTC).astimezone(zone).replace(tzinfo=None) - timedelta(hours=1)
    doc = race_doc(
        timezone="Pacific/Kiritimati", events=[_event(start=local.strftime("%Y-%m-%d %H:%M"))]
    )
    assert error_of(rsu.post_race(doc)) == (202, [227])
    doc["timezone"] = "Pacific/Pago_Pago"  # UTC-11: the same wall time is a day ahead
    assert "race" in rsu.post_race(doc).json()


def test_partner_by_id_and_by_token(rsu):
    race = rsu.create(race_doc("ById", partner_id=str(rsu.partner_id)))
    assert race["partner_id"] == rsu.partner_id
    race = rsu.create(race_doc("ByToken", partner_token=rsu.partner_token))
    assert race["partner_id"] == rsu.partner_id
    with rsu.db.transaction() as session:
        other = accounts.create_partner(session, name="Other", box=rsu.services.box)
    doc = race_doc("Mismatch", partner_id=other.partner_id)
    assert error_of(rsu.post_race(doc)) == (202, [221])


def test_timer_membership(rsu):
    with rsu.db.transaction() as session:
        timer = accounts.create_timer(session, name="Timer")
        timer_id = timer.id
    assert error_of(rsu.post_race(race_doc(timer_id=timer_id))) == (202, [294])
    with rsu.db.transaction() as session:
        accounts.add_timer_member(session, timer_id=timer_id, email="owner@example.com")
    assert rsu.create(race_doc(timer_id=timer_id))["timer_id"] == timer_id


def test_create_limit_per_ip(rsu):
    rsu.services.settings.race_create_limit = 2
    rsu.create(race_doc("One"))
    rsu.create(race_doc("Two"))
    throttled = rsu.post_race(race_doc("Three"))
    assert error_of(throttled) == (14, [])
    window = rsu.services.settings.race_create_window_seconds
    assert 1 <= int(throttled.headers["Retry-After"]) <= window
    assert error_of(rsu.post_race(race_doc("Three", name=""))) == (202, [203])


def test_invalid_flag_is_3(rsu):
    response = rsu.post_race(race_doc(), query={"allow_past_event_creation": "maybe"})
    assert error_of(response) == (3, [])


# --- edit ---------------------------------------------------------------------------------


def _edit_doc(race, **overrides):
    doc = race_doc(**overrides)
    doc.pop("url_string")
    doc["events"] = [
        {
            "event_id": e["event_id"],
            "name": e["name"],
            "start_time": future(),
            "event_type": "running_race",
        }
        for e in race["events"]
    ]
    return doc


def test_edit_replaces_the_whole_race(rsu):
    race = rsu.create(race_doc(timezone="America/Chicago"))
    doc = _edit_doc(race, name="Renamed")
    doc.pop("timezone")
    doc.pop("contact_email")
    doc["address"] = {"city": "Tokyo", "country_code": "JP"}
    doc["url_string"] = "Ignored"
    edited = rsu.post_race(doc, race_id=race["race_id"]).json()["race"]
    assert edited["name"] == "Renamed"
    assert edited["url_string"] == "MyRaceUrl"
    assert edited["timezone"] == "America/Chicago"
    assert edited["contact_email"] is None
    assert edited["address"] == {
        "street": None,
        "city": "Tokyo",
        "state": None,
        "zipcode": None,
        "country_code": "JP",
    }


def test_edit_errors_are_213_with_details(rsu):
    race = rsu.create()
    doc = _edit_doc(race, name="")
    doc["events"][0]["event_id"] = 9999
    assert error_of(rsu.post_race(doc, race_id=race["race_id"])) == (213, [203, 223])
    assert error_of(rsu.post_race(doc, race_id=424242)) == (201, [])
    assert error_of(rsu.post_race(doc, race_id="abc")) == (201, [])
    path = rsu.post_race(_edit_doc(race, name="Via path"), path=f"/rest/race/{race['race_id']}")
    assert path.json()["race"]["name"] == "Via path"


def test_edit_adds_updates_and_deletes_missing_events(rsu):
    doc = race_doc(events=[_event("5K"), _event("10K"), _event("Half")])
    race = rsu.create(doc)
    five, ten, half = (e["event_id"] for e in race["events"])
    edit = _edit_doc(race)
    edit["events"] = [
        {"event_id": five, "name": "5K renamed", "start_time": future(), "event_type": "hike"},
        _event("Marathon"),
    ]
    edited = rsu.post_race(edit, race_id=race["race_id"]).json()["race"]
    names = {e["name"]: e for e in edited["events"]}
    assert set(names) == {"5K renamed", "Marathon"}
    assert names["5K renamed"]["event_id"] == five
    assert names["Marathon"]["race_event_days_id"] == race["events"][0]["race_event_days_id"]

    keep = rsu.post_race(
        {**edit, "events": [edit["events"][0]]},
        race_id=race["race_id"],
        query={"preserve_missing_events": "T"},
    ).json()["race"]
    assert {e["name"] for e in keep["events"]} == {"5K renamed", "Marathon"}
    assert ten not in {e["event_id"] for e in keep["events"]} and half


def test_preserve_flag_inside_the_document(rsu):
    race = rsu.create(race_doc(events=[_event("5K"), _event("10K")]))
    edit = _edit_doc(race)
    edit["events"] = edit["events"][:1]
    edit["preserve_missing_events"] = "T"
    edited = rsu.post_race(edit, race_id=race["race_id"], request_format="xml").json()["race"]
    assert len(edited["events"]) == 2


def _add_participant(rsu, event_id, edition_id):
    with rsu.db.transaction() as session:
        session.add(
            Participant(
                edition_id=edition_id,
                event_id=event_id,
                unique_id="p1",
                start_number="1",
                chip_code="C1",
                first_name="A",
                last_name="B",
                date_of_birth=date(1990, 1, 1),
            )
        )


def test_event_with_participants_is_never_deleted(rsu):
    race = rsu.create(race_doc(events=[_event("5K"), _event("10K")]))
    five, ten = race["events"]
    _add_participant(rsu, ten["event_id"], ten["race_event_days_id"])
    edit = _edit_doc(race, name="Changed")
    edit["events"] = edit["events"][:1]
    assert error_of(rsu.post_race(edit, race_id=race["race_id"])) == (213, [293])
    after = rsu.client.get(f"/rest/race/{race['race_id']}", params={"format": "json"}).json()
    assert after["race"]["name"] == "Race Name"
    assert [e["event_id"] for e in after["race"]["events"]] == [five["event_id"], ten["event_id"]]
    kept = rsu.post_race(edit, race_id=race["race_id"], query={"preserve_missing_events": "T"})
    assert kept.json()["race"]["name"] == "Changed"


def _past_race(rsu, url="Annual"):
    doc = race_doc(url, events=[_event("5K", start=f"{NEXT_YEAR - 3}-05-01 09:00")])
    response = rsu.post_race(doc, query={"allow_past_event_creation": "T"})
    return response.json()["race"]


def test_renewal_accepted_creates_a_new_edition(rsu):
    race = _past_race(rsu)
    renewal = _edit_doc(race)
    renewal["events"] = [_event("5K", start=future("05-01 09:00"))]
    renewed = rsu.post_race(renewal, race_id=race["race_id"]).json()["race"]
    editions = [e["race_event_days_id"] for e in renewed["events"]]
    assert len(set(editions)) == 2 and editions[0] < editions[1]
    assert renewed["last_date"] == f"05/01/{NEXT_YEAR - 3}"
    assert renewed["next_date"] == f"05/01/{NEXT_YEAR}"
    future_only = rsu.client.get(
        f"/rest/race/{race['race_id']}", params={"format": "json", "future_events_only": "T"}
    ).json()["race"]["events"]
    assert [e["race_event_days_id"] for e in future_only] == [editions[1]]


def test_renewal_refused_while_an_edition_is_current(rsu):
    race = rsu.create()
    renewal = _edit_doc(race)
    renewal["events"] = [_event("5K", start=future(years=2))]
    assert error_of(rsu.post_race(renewal, race_id=race["race_id"])) == (213, [224])


def test_renewal_refused_before_existing_events(rsu):
    race = _past_race(rsu)
    renewal = _edit_doc(race)
    renewal["events"] = [_event("5K", start=f"{NEXT_YEAR - 4}-05-01 09:00")]
    response = rsu.post_race(
        renewal, race_id=race["race_id"], query={"allow_past_event_creation": "T"}
    )
    assert error_of(response) == (213, [224])


def test_editing_a_past_edition_needs_the_flag_and_its_id(rsu):
    race = _past_race(rsu)
    renewal = _edit_doc(race)
    renewal["events"] = [_event("5K", start=future("05-01 09:00"))]
    rsu.post_race(renewal, race_id=race["race_id"])
    old = race["events"][0]
    edit = _edit_doc(race)
    edit["events"] = [
        {
            "event_id": old["event_id"],
            "name": "Old 5K",
            "start_time": f"{NEXT_YEAR - 3}-05-01 09:00",
            "event_type": "running_race",
        }
    ]
    edit["race_event_days_id"] = old["race_event_days_id"]
    assert error_of(rsu.post_race(edit, race_id=race["race_id"])) == (213, [227])
    edited = rsu.post_race(
        edit,
        race_id=race["race_id"],
        query={"allow_past_event_creation": "T", "preserve_missing_events": "T"},
    ).json()["race"]
    assert [e["name"] for e in edited["events"]] == ["Old 5K", "5K"]
    # Without race_event_days_id the most recent edition is edited: the old id is not in it.
    edit.pop("race_event_days_id")
    response = rsu.post_race(
        edit, race_id=race["race_id"], query={"allow_past_event_creation": "T"}
    )
    assert error_of(response) == (213, [223])


def test_edition_of_another_race_is_15(rsu):
    race = rsu.create()
    other = rsu.create(race_doc("Other"))
    edit = _edit_doc(race)
    response = rsu.post_race(
        edit,
        race_id=race["race_id"],
        query={"race_event_days_id": str(other["events"][0]["race_event_days_id"])},
    )
    assert error_of(response) == (213, [15])
    response = rsu.post_race(edit, race_id=race["race_id"], query={"race_event_days_id": "x"})
    assert error_of(response) == (213, [15])


def test_failed_edit_changes_nothing(rsu, db):
    race = rsu.create(race_doc(events=[_event("5K"), _event("10K")]))
    edit = _edit_doc(race, name="Changed")
    edit["events"] = [edit["events"][0], _event("", start="")]
    assert error_of(rsu.post_race(edit, race_id=race["race_id"])) == (213, [218, 219])
    with db.reading() as session:
        assert session.execute(select(func.count()).select_from(Event)).scalar_one() == 2
        assert session.execute(select(Race.name)).scalar_one() == "Race Name"

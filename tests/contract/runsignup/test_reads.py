"""Reading races on the wire: one race, the list with paging and filters, visibility of drafts
and contact e-mail, date formats, and the envelope for server errors."""

from __future__ import annotations

import pytest

from startline.domain.races import read as races
from tests.contract.runsignup.conftest import NEXT_YEAR, error_of, parse, race_doc


def _get(rsu, path, **params):
    return rsu.client.get(path, params={"format": "json", **params})


def test_race_object_shape(rsu):
    doc = race_doc()
    doc["events"][0]["end_time"] = f"{NEXT_YEAR}-06-08 10:05"
    doc["events"][0]["age_calc_base_date"] = f"{NEXT_YEAR}-12-31"
    race = rsu.create(doc)
    body = _get(rsu, f"/rest/race/{race['race_id']}").json()["race"]
    assert list(body) == [
        "race_id",
        "name",
        "url_string",
        "last_date",
        "last_end_date",
        "next_date",
        "next_end_date",
        "is_draft_race",
        "created",
        "last_modified",
        "url",
        "address",
        "timezone",
        "partner_id",
        "timer_id",
        "events",
    ]
    assert (body["next_date"], body["next_end_date"]) == (
        f"06/07/{NEXT_YEAR}",
        f"06/08/{NEXT_YEAR}",
    )
    assert body["last_date"] is None
    event = body["events"][0]
    assert event["start_time"] == f"6/7/{NEXT_YEAR} 08:30"
    assert event["end_time"] == f"6/8/{NEXT_YEAR} 10:05"
    assert event["age_calc_base_date"] == f"12/31/{NEXT_YEAR}"
    assert "contact_email" not in body  # anonymous
    assert body["url"] == "http://127.0.0.1:8000/Race/NJ/Moorestown/MyRaceUrl"


def test_contact_email_only_for_owner_and_admin(rsu):
    race = rsu.create()
    path = f"/rest/race/{race['race_id']}"
    assert _get(rsu, path, **rsu.auth_query()).json()["race"]["contact_email"] == (
        "example@example.com"
    )
    other = rsu.add_account("other@example.com")
    assert "contact_email" not in _get(rsu, path, **rsu.auth_query(other)).json()["race"]
    admin = rsu.add_account("admin@example.com", is_admin=True)
    assert "contact_email" in _get(rsu, path, **rsu.auth_query(admin)).json()["race"]
    xml = parse(rsu.client.get(path, params=rsu.auth_query()))
    assert xml.findtext("contact_email") == "example@example.com"


def test_drafts_are_visible_to_their_owner_only(rsu):
    race = rsu.create(race_doc(draft_race="T"))
    path = f"/rest/race/{race['race_id']}"
    assert error_of(_get(rsu, path)) == (201, [])
    assert _get(rsu, path, **rsu.auth_query()).json()["race"]["is_draft_race"] == "T"
    assert _get(rsu, "/rest/races").json() == {"races": []}
    assert len(_get(rsu, "/rest/races", **rsu.auth_query()).json()["races"]) == 1


def test_unknown_race_and_bad_ids(rsu):
    assert error_of(_get(rsu, "/rest/race/999")) == (201, [])
    assert error_of(_get(rsu, "/rest/race/abc")) == (201, [])
    assert error_of(_get(rsu, "/rest/race/99999999999999999999")) == (201, [])
    assert error_of(_get(rsu, "/rest/race")) == (3, [])
    assert error_of(_get(rsu, "/rest/race/1", future_events_only="maybe")) == (3, [])
    assert error_of(_get(rsu, "/rest/race/1", api_key="k", api_secret="s")) == (6, [])


def test_races_paging_and_filters(rsu):
    for index in range(5):
        doc = race_doc(f"Race{index}", name=f"Race {index}")
        doc["events"][0]["start_time"] = f"{NEXT_YEAR}-0{index + 1}-10 09:00"
        if index == 4:
            doc["address"].update(state="PA", city="Erie", zipcode="16501")
        rsu.create(doc)
    page = _get(rsu, "/rest/races", page=2, results_per_page=2).json()["races"]
    assert [r["race"]["url_string"] for r in page] == ["Race2", "Race3"]
    assert "events" not in page[0]["race"]
    assert [
        r["race"]["url_string"] for r in _get(rsu, "/rest/races", state="pa").json()["races"]
    ] == ["Race4"]
    assert len(_get(rsu, "/rest/races", name="race 1").json()["races"]) == 1
    assert len(_get(rsu, "/rest/races", country_code="us").json()["races"]) == 5
    ranged = _get(
        rsu, "/rest/races", start_date=f"{NEXT_YEAR}-02-01", end_date=f"03/31/{NEXT_YEAR}"
    ).json()["races"]
    assert [r["race"]["url_string"] for r in ranged] == ["Race1", "Race2"]
    with_events = _get(rsu, "/rest/races", events="T").json()["races"]
    assert all(len(r["race"]["events"]) == 1 for r in with_events)
    xml = parse(rsu.client.get("/rest/races", params={"results_per_page": "2"}))
    assert xml.tag == "races" and [r.tag for r in xml] == ["race", "race"]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"start_date": "soon"}, 9),
        ({"end_date": "2020-13-01"}, 9),
        ({"end_date": "9999-12-31"}, 9),
        ({"page": "0"}, 3),
        ({"results_per_page": "-1"}, 3),
        ({"page": "x"}, 3),
        ({"events": "maybe"}, 3),
        # A text filter with a control character; DEL is one (decision 19).
        ({"name": "Race\x01"}, 3),
        ({"name": "Race\x7f"}, 3),
        ({"state": "\x7fPA"}, 3),
    ],
)
def test_races_bad_parameters(rsu, params, code):
    assert error_of(_get(rsu, "/rest/races", **params)) == (code, [])


def test_server_error_is_envelope_4(rsu, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(races, "list_races", broken)
    response = _get(rsu, "/rest/races")
    assert response.status_code == 200
    assert error_of(response) == (4, [])
    assert "boom" not in response.text

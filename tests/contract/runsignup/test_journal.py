"""Race writes through RunSignup in the change journal, read through GET /api/v1/changes: a
create, an edit, a renewal each journal exactly the races, editions and events they changed;
a no-op edit and a refused write journal nothing (and a no-op keeps last_modified); a token
sees only its races' entries; the race snapshot never carries the contact e-mail or owner."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from startline.domain.accounts.service import create_connect_token
from startline.domain.public.races import set_public
from startline.domain.races.models import Edition, Event, Race
from tests.contract.runsignup.conftest import NEXT_YEAR, Rsu, error_of, future, race_doc
from tests.contract.runsignup.test_race_rules import _add_participant

FEED = "/api/v1/changes"
RACE_KEYS = {
    "id",
    "name",
    "url_string",
    "is_draft",
    "is_public",
    "street",
    "city",
    "state",
    "country_code",
    "zipcode",
    "timezone",
    "partner_id",
    "timer_id",
    "created_at",
    "last_modified",
}
EDITION_KEYS = {"id", "race_id", "created_at", "updated_at"}
EVENT_KEYS = {
    "id",
    "edition_id",
    "name",
    "start_time",
    "end_time",
    "event_type",
    "distance",
    "distance_units",
    "age_calc_base_date",
    "created_at",
    "updated_at",
}


def _event(name: str, start: str | None = None, **extra: Any) -> dict[str, Any]:
    start = future() if start is None else start
    return {"name": name, "start_time": start, "event_type": "running_race", **extra}


def _token(rsu: Rsu, *race_ids: int) -> str:
    with rsu.db.transaction() as session:
        issued = create_connect_token(
            session,
            owner_email=rsu.owner.email,
            permissions=["permissions.changes.list"],
            race_ids=list(race_ids),
        )
    return issued.token


def _feed(rsu: Rsu, token: str, after: str | None = None) -> dict[str, Any]:
    params = {"limit": "1000", **({"after": after} if after else {})}
    response = rsu.client.get(FEED, params=params, headers={"Authorization": token})
    assert response.status_code == 200, response.text
    return response.json()


def _entries(rsu: Rsu, token: str, after: str | None = None) -> list[dict[str, Any]]:
    return _feed(rsu, token, after)["changes"]


def _kinds(entries: list[dict[str, Any]]) -> list[tuple[str, int | None, int | None]]:
    return [(c["type"], c["edition_id"], c["event_id"]) for c in entries]


def _edit_of(doc: dict[str, Any], race: dict[str, Any]) -> dict[str, Any]:
    """The document a race was created from, as an edit of it (event ids added)."""
    edit = {key: value for key, value in doc.items() if key != "url_string"}
    edit["events"] = [
        {**sent, "event_id": made["event_id"]}
        for sent, made in zip(doc["events"], race["events"], strict=True)
    ]
    return edit


def _stamps(rsu: Rsu, race_id: int) -> list[Any]:
    """Every timestamp a write could move: the race's, its editions' and events'."""
    with rsu.db.reading() as session:
        race = session.execute(select(Race.last_modified).where(Race.id == race_id)).scalar_one()
        editions = session.execute(
            select(Edition.id, Edition.updated_at).where(Edition.race_id == race_id)
        ).all()
        events = session.execute(
            select(Event.id, Event.updated_at)
            .join(Edition, Event.edition_id == Edition.id)
            .where(Edition.race_id == race_id)
            .order_by(Event.id)
        ).all()
    return [race, sorted(editions), events]


def _shown(rsu: Rsu, race_id: int) -> dict[str, Any]:
    """The race object as its owner sees it (contact e-mail included)."""
    params = {**rsu.auth_query(), "format": "json"}
    return rsu.client.get(f"/rest/race/{race_id}", params=params).json()


def _event_ids(race: dict[str, Any]) -> list[int]:
    return [e["event_id"] for e in race["events"]]


def test_a_create_journals_the_race_its_edition_and_each_event(rsu):
    doc = race_doc(events=[_event("5K", distance=5, distance_units="K"), _event("10K")])
    race = rsu.create(doc)
    race_id, edition_id = race["race_id"], race["events"][0]["race_event_days_id"]
    five, ten = _event_ids(race)
    entries = _entries(rsu, _token(rsu, race_id))
    assert _kinds(entries) == [
        ("race.created", None, None),
        ("edition.created", edition_id, None),
        ("event.created", edition_id, five),
        ("event.created", edition_id, ten),
    ]
    assert {c["race_id"] for c in entries} == {race_id}
    created, edition, first, _ = (c["entity"] for c in entries)
    # The race in startline's words, without its contact e-mail, owner or URL key.
    assert set(created) == RACE_KEYS
    assert created["id"] == race_id and created["name"] == "Race Name"
    assert created["url_string"] == "MyRaceUrl" and created["is_public"] is True
    assert created["is_draft"] is False and created["city"] == "Moorestown"
    assert created["last_modified"] == created["created_at"]
    assert created["created_at"].endswith("Z")
    assert set(edition) == EDITION_KEYS and edition["id"] == edition_id
    assert edition["race_id"] == race_id
    assert set(first) == EVENT_KEYS
    assert first["id"] == five and first["edition_id"] == edition_id
    assert first["name"] == "5K" and first["distance"] == 5.0 and first["distance_units"] == "K"
    # Event times are the race's local wall-clock times, as stored.
    assert first["start_time"] == f"{NEXT_YEAR}-06-07T08:30:00"


def test_an_edit_journals_each_changed_race_and_event_once(rsu):
    doc = race_doc(events=[_event("5K"), _event("10K"), _event("Half")])
    race = rsu.create(doc)
    race_id, edition_id = race["race_id"], race["events"][0]["race_event_days_id"]
    five, ten, half = _event_ids(race)
    token = _token(rsu, race_id)
    after = _feed(rsu, token)["next"]
    edit = _edit_of(doc, race)
    edit["name"] = "Renamed"
    edit["events"] = [
        {**edit["events"][0], "name": "5K renamed"},
        edit["events"][1],  # the 10K as it is: no entry
        _event("Marathon"),
    ]  # the half is missing: deleted
    edited = rsu.post_race(edit, race_id=race_id).json()["race"]
    (marathon,) = set(_event_ids(edited)) - {five, ten}
    entries = _entries(rsu, token, after)
    assert _kinds(entries) == [
        ("race.updated", None, None),
        ("event.updated", edition_id, five),
        ("event.created", edition_id, marathon),
        ("event.deleted", edition_id, half),
    ]
    updated, renamed, added, deleted = (c["entity"] for c in entries)
    assert set(updated) == RACE_KEYS and updated["name"] == "Renamed"
    assert updated["last_modified"] != updated["created_at"]
    assert renamed["name"] == "5K renamed" and renamed["updated_at"] != renamed["created_at"]
    assert added["name"] == "Marathon" and added["id"] == marathon
    assert deleted == {"id": half, "edition_id": edition_id}  # ids only


def test_an_edit_of_events_only_moves_last_modified_without_a_race_entry(rsu):
    doc = race_doc()
    race = rsu.create(doc)
    race_id = race["race_id"]
    token = _token(rsu, race_id)
    after = _feed(rsu, token)["next"]
    before = _stamps(rsu, race_id)
    edit = _edit_of(doc, race)
    edit["events"][0]["name"] = "8K renamed"
    rsu.post_race(edit, race_id=race_id)
    (entry,) = _entries(rsu, token, after)
    assert entry["type"] == "event.updated" and entry["entity"]["name"] == "8K renamed"
    # The race object's last_modified follows its events (decisions.md).
    assert _stamps(rsu, race_id)[0] > before[0]


def test_a_no_op_edit_journals_nothing_and_moves_no_timestamp(rsu):
    doc = race_doc(events=[_event("5K", distance=5, distance_units="K"), _event("10K")])
    race = rsu.create(doc)
    race_id = race["race_id"]
    token = _token(rsu, race_id)
    after = _feed(rsu, token)["next"]
    before = _stamps(rsu, race_id)
    shown = _shown(rsu, race_id)
    edit = _edit_of(doc, race)
    for request_format in ("json", "xml"):
        again = rsu.post_race(edit, race_id=race_id, request_format=request_format)
        assert again.json()["race"] == shown["race"]
        # The same body with preserve_missing_events changes nothing either.
        rsu.post_race(edit, race_id=race_id, query={"preserve_missing_events": "T"})
    assert _entries(rsu, token, after) == []
    assert _stamps(rsu, race_id) == before
    assert _shown(rsu, race_id) == shown


def test_a_renewal_journals_the_new_edition_and_its_events(rsu):
    doc = race_doc("Annual", events=[_event("5K", start=f"{NEXT_YEAR - 3}-05-01 09:00")])
    race = rsu.post_race(doc, query={"allow_past_event_creation": "T"}).json()["race"]
    race_id = race["race_id"]
    token = _token(rsu, race_id)
    after = _feed(rsu, token)["next"]
    renewal = {key: value for key, value in doc.items() if key != "url_string"}
    renewal["events"] = [
        _event("5K", start=future("05-01 09:00")),
        _event("10K", start=future("05-01 10:00")),
    ]
    renewed = rsu.post_race(renewal, race_id=race_id).json()["race"]
    new_edition = renewed["events"][-1]["race_event_days_id"]
    new_events = [
        e["event_id"] for e in renewed["events"] if e["race_event_days_id"] == new_edition
    ]
    entries = _entries(rsu, token, after)
    # The race's own fields are as they were: no race.updated.
    assert _kinds(entries) == [
        ("edition.created", new_edition, None),
        *(("event.created", new_edition, event_id) for event_id in new_events),
    ]
    assert entries[0]["entity"]["race_id"] == race_id
    assert [c["entity"]["name"] for c in entries[1:]] == ["5K", "10K"]


def test_refused_writes_journal_nothing(rsu):
    doc = race_doc(events=[_event("5K"), _event("10K")])
    race = rsu.create(doc)
    race_id = race["race_id"]
    _, ten = race["events"]
    token = _token(rsu, race_id)
    after = _feed(rsu, token)["next"]
    before = _stamps(rsu, race_id)
    # A create refused (the URL string is taken), an edit refused (no name, an unknown event),
    # and an edit that would delete an event with runners (293), which also renames the race.
    assert error_of(rsu.post_race(race_doc())) == (202, [216])
    bad = _edit_of(doc, race)
    bad["name"] = ""
    bad["events"][0]["event_id"] = 999999
    assert error_of(rsu.post_race(bad, race_id=race_id)) == (213, [203, 223])
    _add_participant(rsu, ten["event_id"], ten["race_event_days_id"])
    busy = _edit_of(doc, race)
    busy["name"] = "Renamed"
    busy["events"] = busy["events"][:1]
    assert error_of(rsu.post_race(busy, race_id=race_id)) == (213, [293])
    assert _entries(rsu, token, after) == []
    assert _stamps(rsu, race_id) == before
    with rsu.db.reading() as session:
        assert session.get(Race, race_id).name == "Race Name"


def test_a_token_sees_only_its_races_entries(rsu):
    first = rsu.create(race_doc("First"))
    second = rsu.create(race_doc("Second"))
    for race, other in ((first, second), (second, first)):
        entries = _entries(rsu, _token(rsu, race["race_id"]))
        assert {c["race_id"] for c in entries} == {race["race_id"]}
        assert len(entries) == 3  # race, edition, event
        assert other["race_id"] not in {c["entity"].get("race_id") for c in entries}
    both = _entries(rsu, _token(rsu, first["race_id"], second["race_id"]))
    assert [c["race_id"] for c in both] == [first["race_id"]] * 3 + [second["race_id"]] * 3


def test_the_public_switch_journals_the_same_race_snapshot(rsu):
    race = rsu.create()
    race_id = race["race_id"]
    token = _token(rsu, race_id)
    (created, *_) = _entries(rsu, token)
    after = _feed(rsu, token)["next"]
    with rsu.db.transaction() as session:
        assert set_public(session, race_id=race_id, public=False).changed
    with rsu.db.transaction() as session:
        assert not set_public(session, race_id=race_id, public=False).changed
    (switched,) = _entries(rsu, token, after)
    assert switched["type"] == "race.updated"
    entity = switched["entity"]
    assert set(entity) == RACE_KEYS and entity["is_public"] is False
    assert {k: v for k, v in entity.items() if k not in ("is_public", "last_modified")} == {
        k: v for k, v in created["entity"].items() if k not in ("is_public", "last_modified")
    }
    # A change moves last_modified (decisions.md); the stored value is the snapshot's.
    assert entity["last_modified"] > created["entity"]["last_modified"]

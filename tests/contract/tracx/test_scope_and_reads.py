"""Token scope (listed races, a timer's races, everything) on the two reads and the writes."""

from __future__ import annotations

import re
from datetime import datetime

from startline.domain.participants.reading import participants_of_edition
from tests.contract.tracx.conftest import participant
from tests.support.world import add_edition, add_event, add_race

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def _events(client, token):
    response = client.get("/v1/connect/events", headers={"Authorization": token})
    assert response.status_code == 200, response.text
    return response.json()["data"]["items"]


def _races(client, token, event_id):
    response = client.get(
        "/v1/connect/races", params={"event_id": event_id}, headers={"Authorization": token}
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]["items"]


def test_events_shape(client, world, tokens):
    items = _events(client, tokens.races)
    assert [item["id"] for item in items] == [world.edition_a1, world.edition_a2]
    first = items[0]
    assert list(first) == ["id", "name", "created_at", "updated_at", "date_from", "date_to"]
    assert first["name"] == "City Run"
    assert TIMESTAMP.match(first["created_at"]) and TIMESTAMP.match(first["updated_at"])
    assert (first["date_from"], first["date_to"]) == ("2027-05-01", "2027-05-02")


def test_races_shape(client, world, tokens):
    items = _races(client, tokens.races, world.edition_a1)
    assert [item["id"] for item in items] == [world.event_a1_10k, world.event_a1_half]
    assert list(items[0]) == [
        "id",
        "event_id",
        "name",
        "created_at",
        "updated_at",
        "start_time",
        "distance",
    ]
    assert items[1]["event_id"] == world.edition_a1
    assert items[1]["name"] == "Half marathon"
    assert items[1]["start_time"] == "2027-05-02 10:30:00"
    assert items[1]["distance"] == 21.1


def test_scope_races_lists_only_its_races(client, world, tokens):
    assert _races(client, tokens.races, world.edition_b1) == []
    assert _races(client, tokens.races, 999_999) == []
    assert _races(client, tokens.admin, 2**40) == []  # beyond the id column: none, no error
    assert _races(client, tokens.admin, -5) == []


def test_scope_timer_follows_the_timer_including_new_races(client, db, world, tokens):
    assert [i["id"] for i in _events(client, tokens.timer)] == [world.edition_a1, world.edition_a2]
    with db.transaction() as s:
        race = add_race(s, name="New Race", owner_id=1, timer_id=world.timer_id)
        edition = add_edition(s, race.id)
        event = add_event(s, edition.id, "Mile", datetime(2027, 9, 1, 12, 0))
        edition_id, event_id = edition.id, event.id
    assert edition_id in [i["id"] for i in _events(client, tokens.timer)]
    assert [i["id"] for i in _races(client, tokens.timer, edition_id)] == [event_id]
    response = client.post(
        "/v1/connect/participant",
        json=participant(event_id),
        headers={"Authorization": tokens.timer},
    )
    assert response.status_code == 200, response.text
    assert _races(client, tokens.timer, world.edition_b1) == []


def test_scope_all_sees_everything(client, world, tokens):
    ids = [i["id"] for i in _events(client, tokens.admin)]
    assert ids == [world.edition_a1, world.edition_a2, world.edition_b1]
    assert [i["id"] for i in _races(client, tokens.admin, world.edition_b1)] == [world.event_b1_5k]


def test_races_event_id_must_be_an_integer(client, tokens):
    headers = {"Authorization": tokens.races}
    missing = client.get("/v1/connect/races", headers=headers)
    assert missing.status_code == 422
    assert missing.json() == {
        "message": "The event id field is required.",
        "errors": {"event_id": ["The event id field is required."]},
    }
    for bad in ("abc", "1.5", "01", "99999999999999999999"):
        response = client.get("/v1/connect/races", params={"event_id": bad}, headers=headers)
        assert response.status_code == 422, bad
        assert response.json()["errors"] == {"event_id": ["The event id field must be an integer."]}


def test_races_event_id_is_trimmed_like_laravel(client, world, tokens):
    """Decision 18: the query value is trimmed by TrimStrings (Unicode whitespace) before
    FILTER_VALIDATE_INT, so a no-break space before the id still names the event."""
    headers = {"Authorization": tokens.races}
    expected = [world.event_a1_10k, world.event_a1_half]
    for query in (
        f"%C2%A0{world.edition_a1}",
        f"{world.edition_a1}%E3%80%80",
        f"+{world.edition_a1}",
    ):
        response = client.get(f"/v1/connect/races?event_id={query}", headers=headers)
        assert response.status_code == 200, (query, response.text)
        assert [item["id"] for item in response.json()["data"]["items"]] == expected
    # Not whitespace to PHP (Python's str.strip() would remove U+001C), and blank after trimming.
    for query, rule in (
        (f"%1C{world.edition_a1}", "must be an integer."),
        (f"{world.edition_a1}%00", "must be an integer."),
        (f"{world.edition_a1}[]", "must be an integer."),
        ("%C2%A0%E2%80%8B", "is required."),
    ):
        response = client.get(f"/v1/connect/races?event_id={query}", headers=headers)
        assert response.status_code == 422, query
        assert response.json()["errors"] == {"event_id": [f"The event id field {rule}"]}


def test_participant_out_of_scope_race_is_invalid(client, db, world, tokens):
    response = client.post(
        "/v1/connect/participant",
        json=participant(world.event_b1_5k),
        headers={"Authorization": tokens.races},
    )
    assert response.status_code == 422
    assert response.json() == {
        "message": "The selected race id is invalid.",
        "errors": {"race_id": ["The selected race id is invalid."]},
    }
    with db.reading() as s:
        assert participants_of_edition(s, edition_id=world.edition_b1) == []


def test_batch_to_out_of_scope_edition_is_invalid_per_item(client, db, world, tokens):
    response = client.post(
        f"/v1/connect/events/{world.edition_b1}/participants",
        json=[participant(world.event_b1_5k, "1"), participant(world.event_b1_5k, "2")],
        headers={"Authorization": tokens.races},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "0.race_id": ["The selected 0.race id is invalid."],
        "1.race_id": ["The selected 1.race id is invalid."],
    }
    with db.reading() as s:
        assert participants_of_edition(s, edition_id=world.edition_b1) == []


def test_batch_to_an_edition_id_beyond_the_column_range(client, world, tokens):
    response = client.post(
        f"/v1/connect/events/{2**40}/participants",
        json=[participant(world.event_a1_10k)],
        headers={"Authorization": tokens.admin},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"0.race_id": ["The selected 0.race id is invalid."]}


def test_write_scope_matrix(client, db, world, tokens):
    """Race B has no timer: only the `all` token may write there; race A is in every scope."""
    outcomes = {}
    for name in ("races", "timer", "admin"):
        token = getattr(tokens, name)
        for label, edition_id, event_id in (
            ("a", world.edition_a1, world.event_a1_10k),
            ("b", world.edition_b1, world.event_b1_5k),
        ):
            single = client.post(
                "/v1/connect/participant",
                json=participant(event_id, f"{name}-1"),
                headers={"Authorization": token},
            )
            batch = client.post(
                f"/v1/connect/events/{edition_id}/participants",
                json=[participant(event_id, f"{name}-2")],
                headers={"Authorization": token},
            )
            outcomes[name, label] = (single.status_code, batch.status_code)
    assert outcomes == {
        ("races", "a"): (200, 200),
        ("races", "b"): (422, 422),
        ("timer", "a"): (200, 200),
        ("timer", "b"): (422, 422),
        ("admin", "a"): (200, 200),
        ("admin", "b"): (200, 200),
    }
    with db.reading() as s:
        assert {p.unique_id for p in participants_of_edition(s, edition_id=world.edition_b1)} == {
            "admin-1",
            "admin-2",
        }

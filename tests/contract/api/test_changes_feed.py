"""GET /api/v1/changes: every committed runner change through the Tracx API appears once, in
journal order, scoped by the token; cursors, limits, long polls and stale cursors."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from startline.domain.changes.reading import prune, renew_epoch
from tests.contract.tracx.conftest import participant

FEED = "/api/v1/changes"


def _upsert(client, token, body):
    response = client.post("/v1/connect/participant", json=body, headers={"Authorization": token})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def _batch(client, token, edition_id, items, status=200):
    response = client.post(
        f"/v1/connect/events/{edition_id}/participants",
        json=items,
        headers={"Authorization": token},
    )
    assert response.status_code == status, response.text
    return response.json()


def _feed(client, token, **params):
    response = client.get(FEED, params=params, headers={"Authorization": token})
    assert response.status_code == 200, response.text
    return response.json()


def _types(page):
    return [(c["type"], c["entity"]["unique_id"] if c["entity"] else None) for c in page["changes"]]


def test_a_runner_is_journaled_once_per_real_change(client, world, tokens):
    body = participant(world.event_a1_10k, "r1")
    _upsert(client, tokens.races, body)
    _upsert(client, tokens.races, body)  # the same again: no change
    _upsert(client, tokens.races, {**body, "state": "during"})
    _upsert(client, tokens.races, {**body, "state": "during", "race_id": world.event_a1_half})
    page = _feed(client, tokens.races)
    assert _types(page) == [
        ("participant.created", "r1"),
        ("participant.updated", "r1"),
        ("participant.moved", "r1"),
    ]
    positions = [c["position"] for c in page["changes"]]
    assert positions == sorted(positions) and len(set(positions)) == 3
    last = page["changes"][-1]
    assert last["race_id"] == world.race_a and last["edition_id"] == world.edition_a1
    assert last["event_id"] == world.event_a1_half and last["batch_id"] is None
    entity = last["entity"]
    # The Tracx participant resource, in Tracx's words (its race_id is our event).
    assert entity["race_id"] == world.event_a1_half and entity["event_id"] == world.edition_a1
    assert entity["state"] == "during" and entity["date_of_birth"] == "2001-01-01"
    assert entity["full_name"] == "Kris Kuiper" and entity["country_code"] == "nl"
    assert last["occurred_at"].endswith("Z")
    assert page["next"] == last["cursor"]


def test_a_refused_write_journals_nothing(client, world, tokens):
    _upsert(client, tokens.races, participant(world.event_a1_10k, "r1"))
    clash = participant(world.event_a1_10k, "r2", start_number="r1")
    response = client.post(
        "/v1/connect/participant", json=clash, headers={"Authorization": tokens.races}
    )
    assert response.status_code == 422
    _batch(
        client,
        tokens.races,
        world.edition_a1,
        [
            participant(world.event_a1_10k, "r3"),
            participant(world.event_a1_10k, "r4", chip_code="00000r1"),
        ],
        status=422,
    )
    assert _types(_feed(client, tokens.races)) == [("participant.created", "r1")]


def test_a_batch_is_one_batch_id_and_a_resent_batch_is_nothing(client, world, tokens):
    items = [participant(world.event_a1_10k, str(i)) for i in range(1, 4)]
    assert _batch(client, tokens.races, world.edition_a1, items)["data"] == {
        "created": 3,
        "updated": 0,
    }
    # Sent again unchanged: Tracx still counts them updated, but nothing changed.
    assert _batch(client, tokens.races, world.edition_a1, items)["data"] == {
        "created": 0,
        "updated": 3,
    }
    items[1]["state"] = "finished"
    _batch(client, tokens.races, world.edition_a1, items)
    page = _feed(client, tokens.races)
    created = page["changes"][:3]
    assert [c["type"] for c in created] == ["participant.created"] * 3
    assert {c["batch_id"] for c in created} == {created[0]["position"]}
    [single] = page["changes"][3:]
    assert (single["type"], single["entity"]["unique_id"], single["batch_id"]) == (
        "participant.updated",
        "2",
        None,
    )
    only = _feed(client, tokens.races, batch_id=created[0]["batch_id"])
    assert [c["position"] for c in only["changes"]] == [c["position"] for c in created]


def test_swaps_in_a_batch_are_journaled_as_updates(client, world, tokens):
    a = participant(world.event_a1_10k, "a", chip_code="000000A")
    b = participant(world.event_a1_10k, "b", chip_code="000000B")
    _batch(client, tokens.races, world.edition_a1, [a, b])
    _batch(
        client,
        tokens.races,
        world.edition_a1,
        [{**a, "chip_code": "000000B"}, {**b, "chip_code": "000000A"}],
    )
    changes = _feed(client, tokens.races)["changes"][2:]
    assert sorted((c["entity"]["unique_id"], c["entity"]["chip_code"]) for c in changes) == [
        ("a", "000000B"),
        ("b", "000000A"),
    ]
    assert {c["type"] for c in changes} == {"participant.updated"}


def test_scope_paging_and_cursors(client, world, tokens):
    for i in range(5):
        _upsert(client, tokens.admin, participant(world.event_a1_10k, f"a{i}"))
        _upsert(client, tokens.admin, participant(world.event_b1_5k, f"b{i}"))
    # A race-scoped token sees race A only; the admin token sees both.
    scoped = _feed(client, tokens.races)
    assert {c["race_id"] for c in scoped["changes"]} == {world.race_a}
    assert len(scoped["changes"]) == 5
    seen = []
    cursor = None
    while True:
        params = {"limit": 3} if cursor is None else {"limit": 3, "after": cursor}
        page = _feed(client, tokens.admin, **params)
        if not page["changes"]:
            break
        seen += [c["position"] for c in page["changes"]]
        cursor = page["next"]
    assert len(seen) == 10 and seen == sorted(seen)
    # Following on from the end: nothing new, the same cursor back.
    assert _feed(client, tokens.admin, after=cursor) == {"changes": [], "next": cursor}


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"wait": "31"}, "wait"),
        ({"after": "nonsense"}, "after"),
        ({"batch_id": "-1"}, "batch_id"),
    ],
)
def test_bad_parameters_are_422(client, tokens, params, key):
    response = client.get(FEED, params=params, headers={"Authorization": tokens.admin})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == [key]


def test_auth_is_the_tracx_dialects(client, tokens):
    assert client.get(FEED).status_code == 401
    assert client.get(FEED, headers={"Authorization": "1|wrong"}).status_code == 401
    response = client.get(FEED, headers={"Authorization": tokens.events_only})
    assert response.status_code == 403
    assert response.json() == {"message": "This action is unauthorized."}
    session = client.post(
        "/v1/connect/session-token", headers={"Authorization": tokens.admin}
    ).json()["data"]["token"]
    assert client.get(FEED, headers={"Authorization": f"Bearer {session}"}).status_code == 200


def test_a_pruned_or_restored_cursor_is_410(client, db, world, tokens):
    _upsert(client, tokens.admin, participant(world.event_a1_10k, "r1"))
    first = _feed(client, tokens.admin)["next"]
    _upsert(client, tokens.admin, participant(world.event_a1_10k, "r2"))
    second = _feed(client, tokens.admin, after=first)["next"]
    with db.transaction() as s:
        assert prune(s, older_than=datetime.now(UTC) + timedelta(seconds=1)) == 2
    response = client.get(FEED, params={"after": first}, headers={"Authorization": tokens.admin})
    assert response.status_code == 410
    assert response.json()["oldest_cursor"] == second
    assert _feed(client, tokens.admin, after=second)["changes"] == []
    with db.transaction() as s:
        renew_epoch(s)
    response = client.get(FEED, params={"after": second}, headers={"Authorization": tokens.admin})
    assert response.status_code == 410
    assert _feed(client, tokens.admin, after=response.json()["oldest_cursor"])["changes"] == []


def test_a_long_poll_returns_when_a_change_arrives(client, world, tokens):
    start = _feed(client, tokens.admin)["next"]

    def write_later():
        time.sleep(0.6)
        _upsert(client, tokens.admin, participant(world.event_a1_10k, "late"))

    writer = threading.Thread(target=write_later)
    writer.start()
    began = time.monotonic()
    page = _feed(client, tokens.admin, after=start, wait=10)
    writer.join()
    assert _types(page) == [("participant.created", "late")]
    assert time.monotonic() - began < 8  # woke on the change, not at the deadline

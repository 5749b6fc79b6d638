"""The public read API: shapes as documented, paging, strict parameters, deltas, 304s."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from startline.db.engine import Database
from startline.pages import schemas
from tests.pages.world import PageWorld, delete, make_world, runner, write

API = "/public/v1"


def _runners(client: TestClient, world: PageWorld, **params: Any) -> dict[str, Any]:
    response = client.get(f"{API}/editions/{world.edition_id}/runners", params=params)
    assert response.status_code == 200, response.text
    return schemas.RunnerPage.model_validate(response.json()).model_dump()


def test_runners_are_paged_sorted_and_searched(client: TestClient, db: Database) -> None:
    world = make_world(db)
    write(db, world, *[runner(n, world.event_ids[0]) for n in range(1, 13)])
    page = _runners(client, world, per_page=5, page=3, order="desc")
    assert [r["bib"] for r in page["runners"]] == ["2", "1"]
    assert (page["total"], page["pages"], page["page"]) == (12, 3, 3)
    found = _runners(client, world, q="LAST1")
    assert {r["bib"] for r in found["runners"]} == {"1", "10", "11", "12"}
    assert found["search"] == {"bib": "LAST1", "folded": "last1"}
    assert [r["bib"] for r in _runners(client, world, q="11")["runners"]] == ["11"]
    keys = [r["key"] for r in _runners(client, world, sort="name")["runners"]]
    assert keys == sorted(keys)


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "age"},
        {"order": "up"},
        {"state": "running"},
        {"gender": "x"},
        {"event": "999"},
        {"page": "0"},
        {"per_page": "501"},
        {"ids": "1,x"},
        {"q": "x" * 401},
    ],
)
def test_parameters_it_cannot_use_are_422(
    client: TestClient, db: Database, params: dict[str, str]
) -> None:
    world = make_world(db)
    response = client.get(f"{API}/editions/{world.edition_id}/runners", params=params)
    assert response.status_code == 422
    assert next(iter(params)) in response.json()["detail"]


def test_race_and_index_answers_match_their_schemas(client: TestClient, db: Database) -> None:
    world = make_world(db)
    write(db, world, runner(1, world.event_ids[0], state="finished"))
    race = client.get(f"{API}/races/{world.race.race_id}").json()
    schemas.RaceWithEdition.model_validate(race)
    assert race["edition"]["counts"]["all"]["finished"] == 1
    assert [e["name"] for e in race["edition"]["events"]] == ["Event 0", "Event 1"]
    index = schemas.RaceIndex.model_validate(client.get(f"{API}/races").json())
    assert [r.id for r in index.upcoming] == [world.race.race_id]
    assert client.get(f"{API}/races/{world.race.race_id}?edition=999").status_code == 404


def test_the_delta_and_its_etag(client: TestClient, db: Database) -> None:
    world = make_world(db)
    ev = world.event_ids[0]
    write(db, world, runner(1, ev), runner(2, ev))
    start = client.get(f"{API}/editions/{world.edition_id}/runners").json()["cursor"]
    since = int(start.rpartition(".")[2])
    url = f"{API}/editions/{world.edition_id}/changes"

    quiet = client.get(url, params={"since": since})
    assert quiet.status_code == 200
    body = schemas.Changes.model_validate(quiet.json())
    assert body.runners == [] and body.counts is None and body.position >= since
    assert (
        client.get(
            url, params={"since": since}, headers={"If-None-Match": quiet.headers["etag"]}
        ).status_code
        == 304
    )

    write(db, world, runner(2, ev, state="finished"), runner(3, ev))
    delete(db, world, "u1")
    changed = _until_changed(client, url, since, quiet.headers["etag"])
    assert [(r.bib, r.state) for r in changed.runners] == [("2", "finished"), ("3", "before")]
    assert len(changed.removed) == 1 and changed.counts is not None
    assert changed.counts.all.entered == 2 and changed.counts.all.finished == 1


def _until_changed(client: TestClient, url: str, since: int, etag: str) -> schemas.Changes:
    """The poller sees a write within its interval: ask until the answer moves (≤ 5 s)."""
    import time

    deadline = time.monotonic() + 5
    while True:
        response = client.get(url, params={"since": since}, headers={"If-None-Match": etag})
        if response.status_code == 200:
            return schemas.Changes.model_validate(response.json())
        assert response.status_code == 304
        assert time.monotonic() < deadline, "the change never reached the delta"
        time.sleep(0.05)


def test_a_delta_is_computed_once_for_every_page_at_that_position(
    client: TestClient, db: Database
) -> None:
    world = make_world(db)
    write(db, world, runner(1, world.event_ids[0]))
    reader = client.app.state.pages_reader  # type: ignore[attr-defined]
    url = f"{API}/editions/{world.edition_id}/changes?since=0"
    bodies = {client.get(url).content for _ in range(5)}
    assert len(bodies) == 1 and reader.delta_computations == 1


def test_the_api_is_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/races",
        "/races/{race_id}",
        "/editions/{edition_id}/runners",
        "/editions/{edition_id}/changes",
        "/editions/{edition_id}/stream",
    ):
        assert f"{API}{path}" in paths
    assert "/Race/{rest}" not in paths and "/" not in paths


def test_once_the_live_hub_closed_the_delta_is_503(client: TestClient, db: Database) -> None:
    world = make_world(db)
    hub = client.app.state.pages_hub  # type: ignore[attr-defined]
    url = f"{API}/editions/{world.edition_id}/changes?since=0"
    assert client.get(url).status_code == 200
    client.portal.call(hub.close)  # type: ignore[union-attr]  # as at shutdown
    response = client.get(url)
    assert response.status_code == 503 and response.headers["retry-after"] == "5"

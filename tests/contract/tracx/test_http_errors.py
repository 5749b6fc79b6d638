"""Laravel's bodies for 404, 405, 413, 429 and 500 on /v1 paths."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from startline.app import create_app
from tests.contract.tracx.conftest import participant


def test_unknown_path_is_404(client, tokens):
    for path in ("/v1/connect/nothing", "/v1/connect", "/v1"):
        response = client.get(path, headers={"Authorization": tokens.races})
        assert response.status_code == 404
        assert response.json() == {"message": "Not Found."}


def test_wrong_method_is_405_in_laravel_words(client, tokens):
    response = client.get("/v1/connect/participant", headers={"Authorization": tokens.races})
    assert response.status_code == 405
    assert response.json() == {
        "message": "The GET method is not supported for route v1/connect/participant. "
        "Supported methods: POST."
    }
    response = client.delete("/v1/connect/events")
    assert response.json() == {
        "message": "The DELETE method is not supported for route v1/connect/events. "
        "Supported methods: GET, HEAD."
    }


@pytest.fixture
def small_client(settings, db):
    limited = settings.model_copy(
        update={
            "max_body_bytes": 2000,
            "batch_max_bytes": 5000,
            "batch_max_items": 3,
            "rate_limit_per_minute": 0,
        }
    )
    with TestClient(create_app(limited, database=db), raise_server_exceptions=False) as c:
        yield c


def test_body_over_the_limit_is_413(small_client, world, tokens):
    headers = {"Authorization": tokens.races, "Content-Type": "application/json"}
    big = json.dumps(participant(world.event_a1_10k, team_name="x" * 3000))
    response = small_client.post("/v1/connect/participant", content=big, headers=headers)
    assert response.status_code == 413
    assert response.json() == {"message": "The request body is too large."}
    items = [participant(world.event_a1_10k, str(i)) for i in range(3)]
    ok = small_client.post(
        f"/v1/connect/events/{world.edition_a1}/participants", json=items, headers=headers
    )
    assert ok.status_code == 200, ok.text  # the batch has its own, larger limit
    items = [participant(world.event_a1_10k, str(i), team_name="y" * 90) for i in range(30)]
    response = small_client.post(
        f"/v1/connect/events/{world.edition_a1}/participants", json=items, headers=headers
    )
    assert response.status_code == 413
    assert response.json() == {"message": "The request body is too large."}


def test_too_many_items_is_413(small_client, db, world, tokens):
    items = [participant(world.event_a1_10k, str(i)) for i in range(4)]
    response = small_client.post(
        f"/v1/connect/events/{world.edition_a1}/participants",
        json=items,
        headers={"Authorization": tokens.races},
    )
    assert response.status_code == 413
    assert response.json() == {"message": "The request may not contain more than 3 participants."}


def test_rate_limit_is_per_credential_with_retry_after(settings, db, world, tokens):
    limited = settings.model_copy(update={"rate_limit_per_minute": 2})
    with TestClient(create_app(limited, database=db), raise_server_exceptions=False) as c:
        for _ in range(2):
            ok = c.get("/v1/connect/events", headers={"Authorization": tokens.races})
            assert ok.status_code == 200
        throttled = c.get("/v1/connect/events", headers={"Authorization": tokens.races})
        other = c.get("/v1/connect/events", headers={"Authorization": tokens.timer})
    assert throttled.status_code == 429
    assert throttled.json() == {"message": "Too Many Attempts."}
    assert 1 <= int(throttled.headers["Retry-After"]) <= 60
    assert other.status_code == 200


def test_server_error_is_laravels(client, app, tokens, monkeypatch):
    from startline.dialects.tracx import routes

    def explode(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(routes, "editions_in_scope", explode)
    response = client.get("/v1/connect/events", headers={"Authorization": tokens.races})
    assert response.status_code == 500
    assert response.json() == {"message": "Server Error"}

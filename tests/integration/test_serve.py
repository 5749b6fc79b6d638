"""`startline serve` as a user runs it: a real process answering /healthz."""

import httpx

from tests.support.server import running_server


def test_serve_answers_healthz(settings, tmp_path):
    with running_server(settings, tmp_path / "data") as server:
        response = httpx.get(f"{server.base_url}/healthz", timeout=5)
    assert response.json() == {"status": "ok", "database": "ok"}
    assert response.headers["x-request-id"]


def test_serve_with_two_workers(settings, tmp_path):
    with running_server(settings, tmp_path / "data", workers=2) as server:
        statuses = {
            httpx.get(f"{server.base_url}/healthz", timeout=5).status_code for _ in range(10)
        }
    assert statuses == {200}

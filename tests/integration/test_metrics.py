"""/metrics in the Prometheus text format: requests by route template and status, latency,
Tracx batch sizes, errors (503 unavailable, 500 unhandled), pool use, webhook counters; and
with `startline serve --workers 2`, the sums of both processes in every scrape."""

from __future__ import annotations

import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from startline.db.engine import POOL_DEFAULTS
from startline.http import metrics
from tests.support.server import running_server
from tests.support.world import SEED_PARTICIPANT, connect_token, seed_race


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """{(sample name, sorted labels): value} of a /metrics body."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


BATCH_ROUTE = "/v1/connect/events/{event_id}/participants"


def test_requests_batches_and_errors_are_counted(client, app, db, tmp_path):
    race = seed_race(db)
    token = connect_token(db, owner_email=race.owner_email)
    before = client.get("/metrics").text
    runners = [
        {
            **SEED_PARTICIPANT,
            "race_id": race.event_ids[0],
            "unique_id": f"m{n}",
            "start_number": str(n),
            "chip_code": f"{n:07d}",
        }
        for n in range(1, 8)
    ]
    batch = client.post(
        f"/v1/connect/events/{race.edition_id}/participants",
        json=runners,
        headers={"Authorization": token, "Accept": "application/json"},
    )
    assert batch.status_code == 200
    assert client.get("/REST/Races/", params={"format": "json"}).status_code == 200
    assert client.get("/no/such/path/123").status_code == 404

    def unavailable() -> None:
        import sqlite3

        sqlite3.connect(tmp_path / "no" / "dir" / "x.db")

    app.add_api_route("/test/unavailable", unavailable)
    assert client.get("/test/unavailable").status_code == 503
    after = client.get("/metrics")
    assert after.headers["content-type"].startswith("text/plain")
    text = after.text

    def grew(name: str, **labels: str) -> float:
        return value(text, name, **labels) - value(before, name, **labels)

    assert (
        grew("startline_http_requests_total", method="POST", route=BATCH_ROUTE, status="200") == 1
    )
    # /REST/Races/ is counted under its route, not the spelling sent.
    assert (
        grew("startline_http_requests_total", method="GET", route="/rest/races", status="200") == 1
    )
    assert grew("startline_http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert (
        grew("startline_http_request_duration_seconds_count", method="POST", route=BATCH_ROUTE) == 1
    )
    assert grew("startline_tracx_batch_items_count") == 1
    assert grew("startline_tracx_batch_items_sum") == 7
    assert grew("startline_http_errors_total", kind="database_unavailable") == 1
    assert grew("startline_http_errors_total", kind="unhandled") == 0
    for gauge in ("startline_db_pool_size", "startline_db_pool_checked_out"):
        assert (gauge, ()) in samples(text)
    for counter in (
        "startline_webhook_deliveries_total",
        "startline_webhook_delivery_failures_total",
    ):
        assert (counter, ()) in samples(text)


def test_pool_use_is_sampled(client, db):
    sampler = metrics.PoolSampler(db.engine)
    with db.engine.connect(), db.engine.connect():
        sampler.sample()
        during = client.get("/metrics").text
    sampler.sample()
    after = client.get("/metrics").text
    assert value(during, "startline_db_pool_checked_out") >= 2
    assert value(after, "startline_db_pool_checked_out") == 0
    assert value(after, "startline_db_pool_size") == db.engine.pool.size()


@pytest.mark.slow
def test_two_workers_report_their_sums(settings, db, tmp_path):
    pool_size = POOL_DEFAULTS["sqlite" if db.is_sqlite else "postgresql"][0]
    with running_server(settings, tmp_path / "data", workers=2) as server:
        deadline = time.monotonic() + 60
        while value(httpx.get(f"{server.base_url}/metrics").text, "startline_db_pool_size") < (
            2 * pool_size
        ):  # the second worker is still starting
            assert time.monotonic() < deadline, "the second worker did not start"
            time.sleep(0.2)
        # A new connection each time, so both workers take some of them.
        for _ in range(30):
            response = httpx.get(f"{server.base_url}/rest/races", params={"format": "json"})
            assert response.status_code == 200
        scrapes = [httpx.get(f"{server.base_url}/metrics").text for _ in range(6)]
    for text in scrapes:
        counted = value(
            text, "startline_http_requests_total", method="GET", route="/rest/races", status="200"
        )
        assert counted == 30
        assert value(text, "startline_db_pool_size") == 2 * pool_size

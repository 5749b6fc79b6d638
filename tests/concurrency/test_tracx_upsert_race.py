"""50 simultaneous upserts of one new unique_id against a real server: one row, no 5xx."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from startline.domain.participants.models import Participant
from tests.contract.tracx.conftest import participant
from tests.support.server import serve_in_thread

CLIENTS = 50


def test_fifty_concurrent_upserts_of_one_new_unique_id(app, db, world, tokens):
    barrier = threading.Barrier(CLIENTS)

    def upsert(base_url: str, n: int) -> int:
        body = participant(
            world.event_a1_10k,
            "same-runner",
            chip_code="0000042",
            start_number="42",
            team_name=f"writer {n}",
        )
        with httpx.Client(base_url=base_url, timeout=60) as http:
            barrier.wait()
            response = http.post(
                "/v1/connect/participant", json=body, headers={"Authorization": tokens.races}
            )
            return response.status_code

    with serve_in_thread(app) as base_url, ThreadPoolExecutor(CLIENTS) as pool:
        statuses = list(pool.map(lambda n: upsert(base_url, n), range(CLIENTS)))

    assert statuses == [200] * CLIENTS
    with db.reading() as s:
        counts = select(Participant.unique_id, func.count()).group_by(Participant.unique_id)
        assert s.execute(counts).all() == [("same-runner", 1)]


def test_concurrent_batches_and_singles_on_one_edition_stay_consistent(app, db, world, tokens):
    """Batches swapping chips while singles write: every answer is 200 or 422, never 5xx."""
    headers = {"Authorization": tokens.races}
    a = participant(world.event_a1_10k, "a", start_number="1", chip_code="AAAAAAA")
    b = participant(world.event_a1_10k, "b", start_number="2", chip_code="BBBBBBB")
    swapped = [
        {**a, "start_number": "2", "chip_code": "BBBBBBB"},
        {**b, "start_number": "1", "chip_code": "AAAAAAA"},
    ]
    url = f"/v1/connect/events/{world.edition_a1}/participants"

    def work(base_url: str, n: int) -> int:
        with httpx.Client(base_url=base_url, timeout=60) as http:
            if n % 3 == 0:
                batch = [a, b] if n % 2 else swapped
                return http.post(url, json=batch, headers=headers).status_code
            body = participant(world.event_a1_half, f"s{n % 5}", chip_code=f"S{n % 5:06d}")
            return http.post("/v1/connect/participant", json=body, headers=headers).status_code

    with serve_in_thread(app) as base_url, ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(lambda n: work(base_url, n), range(40)))

    assert set(statuses) <= {200, 422} and 200 in statuses
    with db.reading() as s:
        chips = s.execute(select(Participant.chip_code)).scalars().all()
        assert len(chips) == len(set(chips)) == 7

"""Two server processes write runners at once while a reader follows /api/v1/changes: the
reader sees every change exactly once, in an order that never goes back (on PostgreSQL,
transactions that take positions commit in that order; a change that appeared below a
reader's cursor would be missed)."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest

from tests.contract.tracx.conftest import participant
from tests.support.server import running_server
from tests.support.world import connect_token, seed_race

WRITERS = 4
WRITES_PER_WRITER = 40
STATES = ("during", "paused", "resumed", "finished")


@pytest.mark.slow
def test_a_reader_sees_every_change_once_in_order(settings, db, tmp_path: Path):
    race = seed_race(db, events=2)
    token = connect_token(db, owner_email=race.owner_email)
    acknowledged: list[str] = []
    lock = threading.Lock()
    done = threading.Event()
    seen: list[dict] = []

    with running_server(settings, tmp_path / "server", workers=2) as server:

        def write(writer: int) -> None:
            with httpx.Client(base_url=server.base_url, timeout=60) as http:
                for i in range(WRITES_PER_WRITER):
                    runner = f"w{writer}-{i // 2}"
                    # Every write changes something: a new runner, then a new state.
                    body = participant(race.event_ids[i % 2], runner, state=STATES[i % len(STATES)])
                    response = http.post(
                        "/v1/connect/participant", json=body, headers={"Authorization": token}
                    )
                    assert response.status_code == 200, response.text
                    with lock:
                        acknowledged.append(runner)

        def follow() -> None:
            cursor = None
            with httpx.Client(base_url=server.base_url, timeout=60) as http:
                idle_after_done = 0
                while idle_after_done < 2:
                    params = {"limit": 25, **({"after": cursor} if cursor else {})}
                    page = http.get(
                        "/api/v1/changes", params=params, headers={"Authorization": token}
                    ).json()
                    seen.extend(page["changes"])
                    cursor = page["next"]
                    if not page["changes"] and done.is_set():
                        idle_after_done += 1

        reader = threading.Thread(target=follow)
        reader.start()
        writers = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
        for thread in writers:
            thread.start()
        for thread in writers:
            thread.join()
        done.set()
        reader.join(timeout=120)
        assert not reader.is_alive()

    positions = [change["position"] for change in seen]
    assert positions == sorted(set(positions)), "the feed went back or repeated itself"
    assert len(seen) == len(acknowledged) == WRITERS * WRITES_PER_WRITER
    per_runner = {runner: acknowledged.count(runner) for runner in set(acknowledged)}
    seen_per_runner = {}
    for change in seen:
        unique_id = change["entity"]["unique_id"]
        seen_per_runner[unique_id] = seen_per_runner.get(unique_id, 0) + 1
    assert seen_per_runner == per_runner

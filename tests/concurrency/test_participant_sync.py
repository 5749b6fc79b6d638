"""RunSignup's participant calls against two real server processes on one database, with a
Tracx client writing at the same time:

- bib and chip assignments (RunSignup POST on one process) racing Tracx upserts (the other
  process) over one small pool of numbers: every answer is a success or the dialect's own
  "taken" refusal, never a 5xx or error 4; afterwards no number is on two runners and every
  runner holds a number that an acknowledged write gave it;
- a client paging by after_registration_id while another inserts runners (both against one
  server process, its thread pool serving them side by side) sees every runner that existed
  when it started exactly once."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from startline.domain.accounts import service as accounts
from startline.domain.participants.models import Participant
from tests.concurrency.storm import DEADLINE_SECONDS, OPS_PER_CLIENT
from tests.support.server import running_server
from tests.support.world import StartWorld, add_runners, build_start_world, connect_token, runner

OWNER = "sync-owner@example.com"
POOL = 12  # bibs B0..B11 and chips C000000..C000011 fought over
RUNNERS = 10  # made first; RunSignup edits these, Tracx upserts them by unique_id


def _world(db) -> tuple[StartWorld, dict[str, str], str]:
    with db.transaction() as s:
        owner = accounts.create_user(s, email=OWNER, password="password-1234")
        key = accounts.create_api_key(s, email=OWNER)
        owner_id = owner.id
    world = build_start_world(db, owner_id=owner_id)
    token = connect_token(db, owner_email=OWNER, race_ids=[world.race_id])
    return world, {"api_key": key.key, "api_secret": key.secret, "format": "json"}, token


def _run(workers: list[Callable[[], None]]) -> list[BaseException]:
    errors: list[BaseException] = []

    def guard(work: Callable[[], None]) -> None:
        try:
            work()
        except BaseException as exc:  # reported to the test thread
            errors.append(exc)

    threads = [threading.Thread(target=guard, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=DEADLINE_SECONDS + 60)
    return errors


@pytest.mark.slow
def test_assignments_and_tracx_upserts_never_share_a_number(settings, db, tmp_path: Path):
    world, keys, token = _world(db)
    ids = add_runners(
        db,
        world.edition_1,
        [runner(world.event_10k, f"R{i}", unique_id=f"u{i}", born=None) for i in range(RUNNERS)],
    )
    given: dict[int, set[tuple[str | None, str | None]]] = {i: {(None, None)} for i in ids}
    by_unique = dict(zip((f"u{i}" for i in range(RUNNERS)), ids, strict=True))
    lock = threading.Lock()
    deadline: list[float] = []  # set once both servers are up

    def acknowledge(participant_id: int, bib: str | None, chip: str | None) -> None:
        with lock:
            given[participant_id].add((bib, chip))

    def assigner(base_url: str, seed: int) -> Callable[[], None]:
        def work() -> None:
            rng = random.Random(seed)
            with httpx.Client(base_url=base_url, timeout=60) as http:
                for _ in range(OPS_PER_CLIENT):
                    if time.monotonic() > deadline[0]:
                        return
                    chosen = rng.sample(ids, rng.randint(1, 3))
                    items = [
                        {
                            "registration_id": i,
                            "bib_num": f"B{rng.randrange(POOL)}",
                            "chip_num": f"C{rng.randrange(POOL):06d}",
                        }
                        for i in chosen
                    ]
                    response = http.post(
                        f"/rest/race/{world.race_id}/participants",
                        params=keys,
                        data={
                            "event_id": str(world.event_10k),
                            "request_format": "json",
                            "request": json.dumps({"participants": items}),
                        },
                    )
                    assert response.status_code == 200, response.text[:300]
                    body = response.json()
                    if "error" in body:
                        codes = {d["error_code"] for d in body["error"]["error_details"]}
                        assert body["error"]["error_code"] == 298 and codes <= {280, 281}, body
                        continue
                    for item in items:
                        acknowledge(item["registration_id"], item["bib_num"], item["chip_num"])

        return work

    def upserter(base_url: str, seed: int) -> Callable[[], None]:
        def work() -> None:
            rng = random.Random(seed)
            headers = {"Authorization": token, "Accept": "application/json"}
            with httpx.Client(base_url=base_url, timeout=60) as http:
                for _ in range(OPS_PER_CLIENT):
                    if time.monotonic() > deadline[0]:
                        return
                    index = rng.randrange(RUNNERS)
                    bib, chip = f"B{rng.randrange(POOL)}", f"C{rng.randrange(POOL):06d}"
                    response = http.post(
                        "/v1/connect/participant",
                        headers=headers,
                        json={
                            "unique_id": f"u{index}",
                            "first_name": "Kris",
                            "last_name": f"R{index}",
                            "date_of_birth": "1990-01-01",
                            "start_number": bib,
                            "chip_code": chip,
                            "race_id": world.event_10k,
                        },
                    )
                    if response.status_code == 422:
                        for messages in response.json()["errors"].values():
                            assert all("has already been taken" in m for m in messages)
                        continue
                    assert response.status_code == 200, response.text[:300]
                    acknowledge(by_unique[f"u{index}"], bib, chip)

        return work

    with (
        running_server(settings, tmp_path / "a") as server_a,
        running_server(settings, tmp_path / "b") as server_b,
    ):
        deadline.append(time.monotonic() + DEADLINE_SECONDS)
        errors = _run(
            [
                assigner(server_a.base_url, 1),
                assigner(server_b.base_url, 2),
                upserter(server_b.base_url, 3),
                upserter(server_a.base_url, 4),
            ]
        )
    assert not errors, errors
    with db.reading() as s:
        rows = s.execute(
            select(Participant.id, Participant.start_number, Participant.chip_code).where(
                Participant.edition_id == world.edition_1
            )
        ).all()
    bibs = Counter(bib for _, bib, _ in rows if bib is not None)
    chips = Counter(chip for _, _, chip in rows if chip is not None)
    assert all(n == 1 for n in bibs.values()) and all(n == 1 for n in chips.values())
    for participant_id, bib, chip in rows:
        # Writes set bib and chip together: the pair must come from one acknowledged write.
        assert (bib, chip) in given[participant_id], (participant_id, bib, chip)
    assert sum(len(values) for values in given.values()) > RUNNERS  # writes did land


def test_paging_by_id_while_runners_are_added_sees_each_runner_once(settings, db, tmp_path):
    world, keys, token = _world(db)
    existing = add_runners(
        db,
        world.edition_1,
        [runner(world.event_10k if i % 2 else world.event_5k, f"R{i}") for i in range(600)],
    )
    stop = threading.Event()
    seen: list[int] = []

    def reader(base_url: str) -> Callable[[], None]:
        def work() -> None:
            after = 0
            with httpx.Client(base_url=base_url, timeout=60) as http:
                while True:
                    response = http.get(
                        f"/rest/race/{world.race_id}/participants",
                        params={
                            **keys,
                            "event_id": f"{world.event_10k},{world.event_5k}",
                            "results_per_page": "25",
                            "after_registration_id": str(after),
                        },
                    )
                    page = [p for e in response.json() for p in e["participants"]]
                    if not page:
                        break
                    seen.extend(p["registration_id"] for p in page)
                    after = max(p["registration_id"] for p in page)
            stop.set()

        return work

    def inserter(base_url: str) -> Callable[[], None]:
        def work() -> None:
            headers = {"Authorization": token, "Accept": "application/json"}
            batch = 0
            with httpx.Client(base_url=base_url, timeout=60) as http:
                while not stop.is_set() and batch < 200:
                    items: list[dict[str, Any]] = [
                        {
                            "unique_id": f"new-{batch}-{i}",
                            "first_name": "New",
                            "last_name": f"N{batch}",
                            "date_of_birth": "1990-01-01",
                            "start_number": f"N{batch}-{i}",
                            "chip_code": f"N{batch:04d}{i:02d}",
                            "race_id": world.event_10k if i % 2 else world.event_5k,
                        }
                        for i in range(5)
                    ]
                    response = http.post(
                        f"/v1/connect/events/{world.edition_1}/participants",
                        headers=headers,
                        json=items,
                    )
                    assert response.status_code == 200, response.text[:300]
                    batch += 1

        return work

    with running_server(settings, tmp_path / "server") as server:
        errors = _run([reader(server.base_url), inserter(server.base_url)])
    assert not errors, errors
    counts = Counter(seen)
    assert all(n == 1 for n in counts.values())
    assert set(existing) <= set(counts)

"""A storm against two real server processes on one database: single upserts moving runners
between events and trading chips and bibs, batch upserts (resets and chip swaps), race edits
(each with its own signature nonce), an edit that tries to delete an event while runners move
into it, and readers, all at once from httpx clients in threads.

Afterwards, read from the database directly: no duplicate unique_id, chip or bib in the
edition; every participant in an event of its edition; no acknowledged write lost (see
storm.lost_updates); no 5xx; and SQLite's "database is locked" in no response and no server
log. Each client is bounded in operations and time; STARTLINE_SOAK=1 runs a long soak."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from startline.domain.participants.models import Participant
from startline.domain.races.models import Event, Race
from tests.concurrency.storm import (
    DEADLINE_SECONDS,
    OPS_PER_CLIENT,
    RUNNERS,
    Log,
    Write,
    lost_updates,
    make_world,
    participant,
    partner_of,
    uid,
)
from tests.contract.runsignup.conftest import future, race_doc
from tests.support.server import running_server
from tests.support.world import StormWorld


def _post(
    log: Log, http: httpx.Client, name: str, url: str, keys: dict, ok: Callable, **kwargs
) -> httpx.Response:
    sent = time.monotonic()
    response = http.post(url, **kwargs)
    answered = time.monotonic()
    acknowledged = ok(response)
    log.record(
        Write(name, sent, answered, response.status_code, keys if acknowledged else {}),
        response.text,
    )
    return response


def _tracx_ok(response: httpx.Response) -> bool:
    if response.status_code not in {200, 422}:
        raise AssertionError(f"tracx answered {response.status_code}: {response.text[:300]}")
    return response.status_code == 200


def _rsu_ok(allowed: set[int]) -> Callable[[httpx.Response], bool]:
    def ok(response: httpx.Response) -> bool:
        body = response.json() if response.status_code == 200 else None
        if body is None or ("error" in body and body["error"]["error_code"] not in allowed):
            raise AssertionError(f"race edit answered {response.status_code}: {response.text}")
        return "race" in body

    return ok


def single_writer(world: StormWorld, log: Log, name: str, seed: int, stop: float) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=world.base_url, timeout=60) as http:
        for op in range(OPS_PER_CLIENT):
            if time.monotonic() > stop:
                return
            index = rng.randrange(RUNNERS)
            chip_of = rng.choice((index, partner_of(index)))
            bib_of = rng.choice((index, partner_of(index)))
            item = participant(
                world,
                index,
                event=rng.randrange(3),
                chip_of=chip_of,
                bib_of=bib_of,
                tag=f"{name}w{op}",
            )
            keys = {item["unique_id"]: _row_of(item)}
            _post(
                log,
                http,
                name,
                "/v1/connect/participant",
                keys,
                _tracx_ok,
                json=item,
                headers=world.tracx_headers(),
            )


def batch_writer(world: StormWorld, log: Log, name: str, seed: int, stop: float) -> None:
    """Alternates a reset (every runner on its own chip and bib, events 0-1) with swaps."""
    rng = random.Random(seed)
    url = f"/v1/connect/events/{world.edition_id}/participants"
    with httpx.Client(base_url=world.base_url, timeout=60) as http:
        for op in range(OPS_PER_CLIENT):
            if time.monotonic() > stop:
                return
            tag = f"{name}b{op}"
            if op % 3 == 0:
                items = [
                    participant(world, i, event=rng.randrange(2), chip_of=i, bib_of=i, tag=tag)
                    for i in range(RUNNERS)
                ]
            else:
                a = rng.randrange(0, RUNNERS, 2)
                b = partner_of(a)
                event = rng.randrange(3)
                items = [
                    participant(world, a, event=event, chip_of=b, bib_of=b, tag=tag),
                    participant(world, b, event=event, chip_of=a, bib_of=a, tag=tag),
                ]
            keys = {item["unique_id"]: _row_of(item) for item in items}
            _post(log, http, name, url, keys, _tracx_ok, json=items, headers=world.tracx_headers())


def _row_of(item: dict) -> tuple:
    return (item["race_id"], item["start_number"], item["chip_code"], item["first_name"])


def _edit_doc(world: StormWorld, name: str, event_count: int) -> dict:
    events = [
        {
            "event_id": world.event_ids[i],
            "name": f"{name}-e{i}",
            "start_time": future(f"06-07 {8 + i:02d}:00:00"),
            "event_type": "running_race",
        }
        for i in range(event_count)
    ]
    doc = race_doc(name=name, events=events)
    doc.pop("url_string")
    return doc


def _edit(
    world: StormWorld, log: Log, http: httpx.Client, name: str, tag: str, *, preserve: bool
) -> httpx.Response:
    event_count = 2
    doc = _edit_doc(world, tag, event_count)
    keys = {"race": (tag,), **{f"event-{i}": (f"{tag}-e{i}",) for i in range(event_count)}}
    params = {**world.signed_params(), "preserve_missing_events": "T" if preserve else "F"}
    files = {
        "request_format": (None, "json"),
        "request": (None, json.dumps(doc)),
        "race_id": (None, str(world.race_id)),
    }
    # Only "event has participants" may refuse an edit that deletes the busy event.
    allowed = set() if preserve else {213}
    response = _post(
        log, http, name, "/rest/race", keys, _rsu_ok(allowed), params=params, files=files
    )
    error = response.json().get("error")
    if error is not None and [d["error_code"] for d in error.get("error_details", [])] != [293]:
        log.flag(f"delete refused with {error}")
    return response


def race_editor(world: StormWorld, log: Log, name: str, seed: int, stop: float) -> None:
    with httpx.Client(base_url=world.base_url, timeout=60) as http:
        for op in range(OPS_PER_CLIENT):
            if time.monotonic() > stop:
                return
            _edit(world, log, http, name, f"{name}r{op}", preserve=True)


def event_deleter(world: StormWorld, log: Log, name: str, seed: int, stop: float) -> None:
    """Tries to delete event 2 (busy with moving runners) until it succeeds once; starts late,
    so runners are in it by then and the delete races their moves."""
    time.sleep(min(2.0, DEADLINE_SECONDS / 4))
    with httpx.Client(base_url=world.base_url, timeout=60) as http:
        for op in range(OPS_PER_CLIENT):
            if time.monotonic() > stop:
                return
            if "race" in _edit(world, log, http, name, f"{name}d{op}", preserve=False).json():
                return
            time.sleep(0.05)


def reader(world: StormWorld, log: Log, name: str, seed: int, stop: float) -> None:
    with httpx.Client(base_url=world.base_url, timeout=60) as http:
        for _ in range(OPS_PER_CLIENT):
            if time.monotonic() > stop:
                return
            responses = [
                http.get(f"/rest/race/{world.race_id}", params={"format": "json"}),
                http.get(
                    "/v1/connect/races",
                    params={"event_id": world.edition_id},
                    headers=world.tracx_headers(),
                ),
            ]
            for response in responses:
                if response.status_code != 200 or "error" in response.json():
                    log.flag(f"read answered {response.status_code}: {response.text[:300]}")
                log.read(response.text)


CLIENTS: list[tuple[str, Callable]] = [
    ("single-1", single_writer),
    ("single-2", single_writer),
    ("single-3", single_writer),
    ("batch-1", batch_writer),
    ("batch-2", batch_writer),
    ("editor-1", race_editor),
    ("editor-2", race_editor),
    ("deleter", event_deleter),
    ("reader", reader),
]


def run_storm(world: StormWorld) -> Log:
    log = Log()
    failures: list[BaseException] = []
    stop = time.monotonic() + DEADLINE_SECONDS

    def guarded(target: Callable, name: str, seed: int) -> None:
        try:
            target(world, log, name, seed, stop)
        except BaseException as exc:  # noqa: BLE001 (reported by the test thread)
            failures.append(exc)

    threads = [
        threading.Thread(target=guarded, args=(target, name, seed))
        for seed, (name, target) in enumerate(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=DEADLINE_SECONDS + 120)
    assert not any(thread.is_alive() for thread in threads), "a client hung"
    assert not failures, failures
    return log


def final_state(db, world: StormWorld) -> dict[str, tuple]:
    with db.reading() as session:
        rows = session.execute(
            select(
                Participant.unique_id,
                Participant.event_id,
                Participant.start_number,
                Participant.chip_code,
                Participant.first_name,
            ).where(Participant.edition_id == world.edition_id)
        ).all()
        race_name = session.execute(select(Race.name).where(Race.id == world.race_id)).scalar_one()
        events = session.execute(
            select(Event.id, Event.name).where(Event.edition_id == world.edition_id)
        ).all()
    final: dict[str, tuple] = {row[0]: tuple(row[1:]) for row in rows}
    final["race"] = (race_name,)
    names = dict(events)
    for i in range(2):
        final[f"event-{i}"] = (names[world.event_ids[i]],)
    return final


def assert_unique_per_edition(db) -> None:
    with db.reading() as session:
        for column in (Participant.unique_id, Participant.chip_code, Participant.start_number):
            duplicates = session.execute(
                select(Participant.edition_id, column, func.count())
                .group_by(Participant.edition_id, column)
                .having(func.count() > 1)
            ).all()
            assert duplicates == [], f"duplicate {column.key}: {duplicates}"
        strays = session.execute(
            select(Participant.id)
            .join(Event, Event.id == Participant.event_id)
            .where(Event.edition_id != Participant.edition_id)
        ).all()
        assert strays == []


@pytest.mark.slow
def test_storm_keeps_every_invariant(settings, db, tmp_path: Path):
    with running_server(settings, tmp_path / "server", workers=2) as server:
        world = make_world(db, server.base_url)
        log = run_storm(world)
        # The server must still answer after the storm (no wedged worker, no held lock).
        assert httpx.get(f"{server.base_url}/healthz", timeout=30).status_code == 200
    stderr = server.process.stderr.read().decode("utf-8", "replace")

    assert log.unexpected == []
    acknowledged = [w for w in log.writes if w.values]
    assert len(acknowledged) >= len(CLIENTS)  # the storm did write, on every kind of client
    writers = {name for name, _ in CLIENTS} - {"reader", "deleter"}  # a delete may never win
    assert {w.client for w in acknowledged} >= writers, log.writes
    assert all(w.status < 500 for w in log.writes)
    assert not any("locked" in body for body in log.bodies)
    assert "database is locked" not in stderr
    assert "Traceback" not in stderr, stderr[-3000:]

    assert_unique_per_edition(db)
    final = final_state(db, world)
    assert lost_updates(acknowledged, final) == []
    assert {uid(i) for i in range(RUNNERS)} <= set(final)

"""Webhooks across real processes: pending deliveries survive a SIGKILLed `startline serve`
and are delivered by a `startline worker` started afterwards; two worker processes never
send one delivery twice and stop cleanly on SIGTERM; a 50,000-runner Tracx batch is one
delivery (and 50,000 runner entries in the feed)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import select

from startline.domain.webhooks import service
from startline.domain.webhooks.models import WebhookDelivery
from tests.contract.tracx.conftest import participant
from tests.contract.tracx.test_big_batch import ITEMS, _start_list
from tests.support.server import running_server, server_env
from tests.webhooks.conftest import drive

FAST = {
    "STARTLINE_WEBHOOK_ALLOW_PRIVATE": "true",
    "STARTLINE_WEBHOOK_RETRY_SCHEDULE": ",".join(["0.3"] * 40),
    "STARTLINE_WEBHOOK_TIMEOUT_SECONDS": "2",
    "STARTLINE_WEBHOOK_POLL_SECONDS": "0.1",
}


def _statuses(db) -> list[tuple[str, int]]:
    with db.reading() as session:
        rows = session.execute(
            select(WebhookDelivery.status, WebhookDelivery.attempts).order_by(WebhookDelivery.id)
        ).all()
    return [(status, attempts) for status, attempts in rows]


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@contextmanager
def worker_process(settings, data_dir, **env):
    process = subprocess.Popen(
        [sys.executable, "-m", "startline.cli", "worker"],
        env=server_env(settings, data_dir, **{"STARTLINE_LOG_LEVEL": "info", **env}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=15)


def test_pending_deliveries_survive_a_sigkilled_server(
    settings, db, tmp_path, world, tokens, receiver, subscribe
):
    receiver.script = [500] * 10_000  # failing until it recovers
    subscribe(types=["participant.*"])
    with running_server(settings, tmp_path / "data", **FAST) as server:
        for unique_id in ("k1", "k2", "k3"):
            response = httpx.post(
                f"{server.base_url}/v1/connect/participant",
                json=participant(world.event_a1_10k, unique_id),
                headers={"Authorization": tokens.races},
                timeout=30,
            )
            assert response.status_code == 200, response.text
        # The server's own sender made the deliveries and tried each of them.
        _wait(
            lambda: len(_statuses(db)) == 3 and all(a >= 1 for _, a in _statuses(db)),
            60,
            "three failed attempts",
        )
        server.kill()
    assert {status for status, _ in _statuses(db)} == {"pending"}
    tried = set(receiver.ids())
    assert len(tried) == 3

    receiver.script.clear()  # the receiver recovers
    with worker_process(settings, tmp_path / "data", **FAST) as worker:
        _wait(lambda: {s for s, _ in _statuses(db)} == {"delivered"}, 90, "the deliveries")
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
        log = worker.stderr.read()
    assert "worker stopped" in log and "Traceback" not in log
    answered = [m for m in receiver.messages() if m.message_id in tried]
    assert {m.message_id for m in answered} == tried
    assert all(m.verified_with == [0] for m in answered)


def test_two_worker_processes_never_send_a_delivery_twice(
    settings, db, tmp_path, receiver, subscribe
):
    receiver.script = [("slow", 0.03)] * 1000
    webhook_ids = [subscribe(), subscribe()]
    env = {**FAST, "STARTLINE_WEBHOOK_POLL_SECONDS": "0.05"}
    with (
        worker_process(settings, tmp_path / "data", **env) as first,
        worker_process(settings, tmp_path / "data", **env) as second,
    ):
        time.sleep(1)  # both are polling
        with db.transaction() as session:
            made = [
                service.send_test(session, webhook_id=webhook_ids[i % 2]).message_id
                for i in range(60)
            ]
        _wait(lambda: len(set(receiver.ids())) == 60, 90, "60 deliveries")
        _wait(lambda: {s for s, _ in _statuses(db)} == {"delivered"}, 30, "the records")
        time.sleep(0.5)
        for process in (first, second):
            process.send_signal(signal.SIGTERM)
        assert [p.wait(timeout=30) for p in (first, second)] == [0, 0]
    received = Counter(receiver.ids())
    assert sorted(received) == sorted(made)
    assert set(received.values()) == {1}, [k for k, n in received.items() if n > 1]


@pytest.mark.slow
def test_a_fifty_thousand_runner_batch_is_one_delivery(
    client, db, world, tokens, receiver, subscribe, sender
):
    webhook_id = subscribe(types=["participant.*"])
    response = client.post(
        f"/v1/connect/events/{world.edition_a1}/participants",
        content=_start_list(world.event_a1_10k, ITEMS),
        headers={"Authorization": tokens.races, "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text[:300]
    drive(sender, lambda: len(receiver.messages()) >= 1, timeout=120)
    sender.run_once()
    (message,) = receiver.messages()
    assert message.verified_with == [0]
    assert message.json["type"] == "participants.batch_upserted"
    data = message.json["data"]
    assert data["created"] == ITEMS and data["updated"] == 0
    assert data["last_position"] - data["first_position"] == ITEMS - 1
    with db.reading() as session:
        assert len(service.recent_deliveries(session, webhook_id=webhook_id)) == 1

    seen, after = 0, None
    while True:
        params = {"batch_id": data["batch_id"], "limit": 1000}
        if after:
            params["after"] = after
        page = client.get("/api/v1/changes", params=params, headers={"Authorization": tokens.races})
        assert page.status_code == 200, page.text[:300]
        body = page.json()
        if not body["changes"]:
            break
        assert {c["type"] for c in body["changes"]} == {"participant.created"}
        seen += len(body["changes"])
        after = body["next"]
    assert seen == ITEMS


def test_the_sender_in_serve_sends_and_stops_with_the_server(
    settings, db, tmp_path, receiver, subscribe
):
    webhook_id = subscribe()
    with running_server(settings, tmp_path / "data", **FAST) as server:
        with db.transaction() as session:
            service.send_test(session, webhook_id=webhook_id)
        _wait(lambda: _statuses(db) == [("delivered", 1)], 30, "the test message")
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=20)
        assert "Traceback" not in server.process.stderr.read().decode()
    assert receiver.messages()[0].verified_with == [0]


def test_serve_without_its_sender_leaves_deliveries_to_a_worker(
    settings, db, tmp_path, receiver, subscribe
):
    webhook_id = subscribe()
    env = {**FAST, "STARTLINE_WEBHOOK_SENDER": "false"}
    with running_server(settings, tmp_path / "data", **env):
        with db.transaction() as session:
            service.send_test(session, webhook_id=webhook_id)
        time.sleep(1.5)  # fifteen poll intervals
        assert _statuses(db) == [("pending", 0)] and receiver.messages() == []

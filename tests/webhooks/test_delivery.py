"""The sender against a real receiver: every delivery verifies with `standardwebhooks`
(also during a rotation, with either secret), payloads are thin, a batch is one delivery,
failures are retried on the schedule and recover, 410 disables, other 4xx fail at once,
redirects are failures, and two senders never send one delivery twice."""

from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from startline.db.base import utcnow
from startline.domain.webhooks import service
from startline.domain.webhooks.models import WebhookDelivery, WebhookSubscription
from startline.webhooks.sender import Sender
from tests.contract.tracx.conftest import participant
from tests.webhooks.conftest import Receiver, drive, receiving

THIN_KEYS = {"race_id", "edition_id", "event_id", "participant_id", "unique_id", "position"}


def _upsert(client, token, body):
    response = client.post("/v1/connect/participant", json=body, headers={"Authorization": token})
    assert response.status_code == 200, response.text


def _batch(client, token, edition_id, items):
    response = client.post(
        f"/v1/connect/events/{edition_id}/participants",
        json=items,
        headers={"Authorization": token},
    )
    assert response.status_code == 200, response.text
    return response.json()


def _deliveries(db, webhook_id):
    with db.reading() as session:
        return service.recent_deliveries(session, webhook_id=webhook_id, limit=1000)


def _subscription(db, webhook_id) -> WebhookSubscription:
    with db.reading() as session:
        return session.get(WebhookSubscription, webhook_id)


def test_deliveries_verify_with_standardwebhooks_and_are_thin(
    client, db, world, tokens, receiver, subscribe, sender
):
    webhook_id = subscribe()
    body = participant(world.event_a1_10k, "r1", first_name="Kris", last_name="Kuiper")
    _upsert(client, tokens.races, body)
    _upsert(client, tokens.races, {**body, "state": "during"})
    drive(sender, lambda: len(receiver.messages()) == 2)

    # Sent in parallel: no order is promised; receivers order by position.
    first, second = sorted(receiver.messages(), key=lambda m: m.json["data"]["position"])
    assert [m.verified_with for m in (first, second)] == [[0], [0]]
    assert first.json["type"] == "participant.created"
    assert second.json["type"] == "participant.updated"
    for message in (first, second):
        assert set(message.json) == {"type", "timestamp", "data"}
        assert message.json["timestamp"].endswith("Z")
        assert set(message.json["data"]) == THIN_KEYS
        assert b"Kuiper" not in message.body and b"2001-01-01" not in message.body
        assert b"0000r1" not in message.body  # no chip
        assert message.message_id.startswith("msg_") and "." not in message.message_id
        assert abs(int(message.headers["webhook-timestamp"]) - time.time()) < 60
        assert message.headers["content-type"] == "application/json"
    data = first.json["data"]
    assert data["race_id"] == world.race_a and data["edition_id"] == world.edition_a1
    assert data["event_id"] == world.event_a1_10k and data["unique_id"] == "r1"
    assert second.json["data"]["position"] > data["position"]

    log = _deliveries(db, webhook_id)
    assert [d["status"] for d in log] == ["delivered", "delivered"]
    assert log[0]["log"][0]["status_code"] == 200 and log[0]["log"][0]["response"] == "thanks"


def test_during_a_rotation_both_secrets_sign_then_only_the_new(
    db, box, receiver, subscribe, sender
):
    webhook_id = subscribe()
    with db.transaction() as session:
        secret, until = service.rotate_secret(session, webhook_id=webhook_id, box=box)
    assert until - utcnow() > timedelta(hours=23)
    receiver.secrets.append(secret)
    with db.transaction() as session:
        service.send_test(session, webhook_id=webhook_id)
    drive(sender, lambda: len(receiver.messages()) == 1)
    message = receiver.messages()[0]
    assert message.verified_with == [0, 1]  # old and new, each on its own
    assert len(message.headers["webhook-signature"].split(" ")) == 2
    assert message.json["type"] == "webhook.test"

    with db.transaction() as session:  # 24 h later
        session.execute(
            update(WebhookSubscription).values(previous_secret_until=utcnow() - timedelta(1))
        )
        service.send_test(session, webhook_id=webhook_id)
    drive(sender, lambda: len(receiver.messages()) == 2)
    assert receiver.messages()[1].verified_with == [1]


def test_a_batch_is_one_delivery_and_scope_and_types_filter(
    client, db, world, tokens, receiver, subscribe, sender
):
    everything = subscribe()
    runners_only = subscribe(types=["participant.*"])
    races_only = subscribe(types=["race.*"])
    race_b_only = subscribe(race_ids=[world.race_b])
    timer_races = subscribe(timer_id=world.timer_id, types=["participant.created"])

    items = [participant(world.event_a1_10k, f"b{i}") for i in range(5)]
    assert _batch(client, tokens.races, world.edition_a1, items) == {
        "data": {"created": 5, "updated": 0}
    }
    items[0]["state"] = "during"
    items[1]["state"] = "during"
    _batch(client, tokens.races, world.edition_a1, items)  # 2 changed, 3 unchanged
    _upsert(client, tokens.races, participant(world.event_a1_10k, "single"))
    drive(sender, lambda: len(receiver.messages()) >= 8)
    time.sleep(0.3)
    sender.run_once()

    def types_of(webhook_id):
        return [d["type"] for d in reversed(_deliveries(db, webhook_id))]

    batch = ["participants.batch_upserted"] * 2
    assert types_of(everything) == [*batch, "participant.created"]
    assert types_of(runners_only) == [*batch, "participant.created"]
    assert types_of(races_only) == []
    assert types_of(race_b_only) == []
    assert types_of(timer_races) == ["participants.batch_upserted", "participant.created"]
    first, second = [d["data"] for d in reversed(_deliveries(db, everything))][:2]
    assert first["created"] == 5 and first["updated"] == 0 and first["deleted"] == 0
    assert first["last_position"] - first["first_position"] == 4
    assert first["batch_id"] == first["first_position"]
    assert second["created"] == 0 and second["updated"] == 2
    assert set(first) == {
        "batch_id",
        "created",
        "updated",
        "deleted",
        "first_position",
        "last_position",
    }
    assert all(m.verified_with for m in receiver.messages())


def test_a_new_subscription_starts_at_the_journal_head(
    client, db, world, tokens, receiver, subscribe, sender
):
    _upsert(client, tokens.races, participant(world.event_a1_10k, "before"))
    webhook_id = subscribe()
    _upsert(client, tokens.races, participant(world.event_a1_10k, "after"))
    drive(sender, lambda: len(receiver.messages()) == 1)
    sender.run_once()
    assert [m.json["data"]["unique_id"] for m in receiver.messages()] == ["after"]
    assert len(_deliveries(db, webhook_id)) == 1


def test_500_and_a_timeout_are_retried_until_the_receiver_recovers(db, receiver, subscribe, sender):
    receiver.script = [500, ("slow", 2.5)]  # the sender's timeout is 1 s
    webhook_id = subscribe()
    with db.transaction() as session:
        service.send_test(session, webhook_id=webhook_id)
    drive(sender, lambda: _deliveries(db, webhook_id)[0]["status"] == "delivered")
    (delivery,) = _deliveries(db, webhook_id)
    assert delivery["attempts"] == 3
    assert [a["status_code"] for a in delivery["log"]] == [500, None, 200]
    assert delivery["log"][0]["response"].startswith("no: xxx")
    assert len(delivery["log"][0]["response"]) == 1024  # the first bytes only
    assert "timed out after 1 s" in delivery["log"][1]["error"]
    ids = receiver.ids()
    assert len(ids) == 3 and len(set(ids)) == 1  # the same webhook-id every time
    assert _subscription(db, webhook_id).failing_since is None  # cleared by the success


def test_a_refused_connection_is_retried_until_the_receiver_listens(db, subscribe, sender):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    late = Receiver()
    webhook_id = subscribe(url=f"http://127.0.0.1:{port}/hooks")
    with db.transaction() as session:
        service.send_test(session, webhook_id=webhook_id)
    drive(sender, lambda: _deliveries(db, webhook_id)[0]["attempts"] >= 1)
    (delivery,) = _deliveries(db, webhook_id)
    assert delivery["status"] == "pending" and "refused" in delivery["log"][0]["error"]
    assert _subscription(db, webhook_id).failing_since is not None
    with receiving(late, port):
        drive(sender, lambda: _deliveries(db, webhook_id)[0]["status"] == "delivered")
    assert len(late.messages()) == 1


def test_429_and_redirects_are_retried_and_redirects_never_followed(
    db, receiver, subscribe, sender
):
    receiver.script = [429, ("redirect", 307), ("redirect", 301)]
    webhook_id = subscribe()
    with db.transaction() as session:
        service.send_test(session, webhook_id=webhook_id)
    drive(sender, lambda: _deliveries(db, webhook_id)[0]["status"] != "pending")
    (delivery,) = _deliveries(db, webhook_id)
    assert delivery["status"] == "delivered"
    assert [a["status_code"] for a in delivery["log"]] == [429, 307, 301, 200]
    assert {m.path for m in receiver.messages()} == {"/hooks"}


def test_the_schedule_exhausted_is_failed(db, receiver, subscribe, sender):
    receiver.script = [503] * 10
    webhook_id = subscribe()
    with db.transaction() as session:
        service.send_test(session, webhook_id=webhook_id)
    drive(sender, lambda: _deliveries(db, webhook_id)[0]["status"] != "pending")
    (delivery,) = _deliveries(db, webhook_id)
    assert delivery["status"] == "failed" and delivery["attempts"] == 4  # 1 + 3 retries
    assert len(receiver.messages()) == 4


def test_410_disables_the_subscription(client, db, world, tokens, receiver, subscribe, sender):
    receiver.script = [410]
    webhook_id = subscribe()
    with db.transaction() as session:
        service.send_test(session, webhook_id=webhook_id)
    drive(sender, lambda: not _subscription(db, webhook_id).enabled)
    subscription = _subscription(db, webhook_id)
    assert subscription.disabled_reason == "the receiver answered 410 Gone"
    assert _deliveries(db, webhook_id)[0]["status"] == "failed"
    _upsert(client, tokens.races, participant(world.event_a1_10k, "later"))
    sender.run_once()
    assert len(_deliveries(db, webhook_id)) == 1  # nothing queued while disabled
    assert len(receiver.messages()) == 1


@pytest.mark.parametrize("status", [400, 401, 404, 413, 422])
def test_other_4xx_fail_without_retry(db, receiver, subscribe, sender, status):
    receiver.script = [status]
    webhook_id = subscribe()
    with db.transaction() as session:
        service.send_test(session, webhook_id=webhook_id)
    drive(sender, lambda: _deliveries(db, webhook_id)[0]["status"] != "pending")
    time.sleep(0.5)  # longer than the schedule's pause: no retry comes
    sender.run_once()
    (delivery,) = _deliveries(db, webhook_id)
    assert delivery["status"] == "failed" and delivery["attempts"] == 1
    assert len(receiver.messages()) == 1
    assert _subscription(db, webhook_id).enabled


def test_a_subscription_failing_for_days_is_disabled_with_a_warning(
    db, receiver, subscribe, wh_settings, box, caplog
):
    receiver.script = [500] * 10
    settings = wh_settings.model_copy(
        update={
            "webhook_disable_after_days": 0.5 / 86400,  # half a second
            "webhook_retry_schedule": "0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3",
        }
    )
    sender = Sender(db, settings, box=box)
    webhook_id = subscribe()
    with db.transaction() as session:
        service.send_test(session, webhook_id=webhook_id)
    try:
        with caplog.at_level("WARNING", logger="startline.webhooks"):
            drive(sender, lambda: not _subscription(db, webhook_id).enabled)
    finally:
        sender.stop()
    assert _subscription(db, webhook_id).disabled_reason.startswith("failing without a success")
    assert any(r.message == "webhook disabled" for r in caplog.records)
    assert _deliveries(db, webhook_id)[0]["status"] == "pending"  # waits for enable


def test_two_senders_never_send_a_delivery_twice(db, wh_settings, box, receiver, subscribe):
    receiver.script = [("slow", 0.02)] * 200
    webhook_ids = [subscribe(), subscribe()]
    senders = [Sender(db, wh_settings, box=box) for _ in range(2)]
    with db.transaction() as session:
        made = [
            service.send_test(session, webhook_id=webhook_ids[i % 2]).message_id for i in range(40)
        ]
    threads = [threading.Thread(target=s.run) for s in senders]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 60
        while len(set(receiver.ids())) < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        for s in senders:
            s.request_stop()
        for thread in threads:
            thread.join(timeout=30)
        for s in senders:
            s.stop()
    ids = receiver.ids()
    assert sorted(ids) == sorted(made)  # each exactly once
    with db.reading() as session:
        statuses = session.execute(select(WebhookDelivery.status)).scalars().all()
    assert statuses == ["delivered"] * 40


def test_the_guard_is_checked_again_at_send_time(db, receiver, subscribe, wh_settings, box):
    webhook_id = subscribe()  # made while private targets were allowed
    strict = Sender(db, wh_settings.model_copy(update={"webhook_allow_private": False}), box=box)
    with db.transaction() as session:
        service.send_test(session, webhook_id=webhook_id)
    try:
        drive(strict, lambda: _deliveries(db, webhook_id)[0]["attempts"] == 1)
    finally:
        strict.stop()
    (delivery,) = _deliveries(db, webhook_id)
    assert delivery["status"] == "pending"  # retried: DNS may change back
    assert "127.0.0.1 is a loopback address" in delivery["log"][0]["error"]
    assert receiver.messages() == []


def test_a_secret_sealed_with_another_server_key_disables_the_webhook(
    db, receiver, subscribe, sender
):
    from startline.domain.accounts.secrets import SecretBox

    webhook_id = subscribe()
    with db.transaction() as session:
        session.execute(
            update(WebhookSubscription).values(
                secret_encrypted=SecretBox("another server key").seal("whsec_AAAA")
            )
        )
        service.send_test(session, webhook_id=webhook_id)
    drive(sender, lambda: not _subscription(db, webhook_id).enabled)
    assert "rotate-secret" in _subscription(db, webhook_id).disabled_reason
    assert receiver.messages() == []
    assert _deliveries(db, webhook_id)[0]["status"] == "pending"


def test_attempts_are_counted_in_the_metrics(db, receiver, subscribe, sender):
    from prometheus_client import REGISTRY

    def counts():
        return [
            REGISTRY.get_sample_value(name) or 0
            for name in (
                "startline_webhook_deliveries_total",
                "startline_webhook_delivery_failures_total",
            )
        ]

    before = counts()
    receiver.script = [500, 502]
    webhook_id = subscribe()
    with db.transaction() as session:
        service.send_test(session, webhook_id=webhook_id)
    drive(sender, lambda: _deliveries(db, webhook_id)[0]["status"] == "delivered")
    after = counts()
    assert after[0] - before[0] == 1 and after[1] - before[1] == 2

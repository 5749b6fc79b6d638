"""`startline webhooks ...`: the secret shown once and stored encrypted, the list, disable,
enable, delete, rotate-secret, deliveries, redeliver and test; every mistake one line."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from startline.domain.webhooks.models import WebhookSubscription
from tests.support.cli import fails_with, ok_json


@pytest.fixture
def private_ok(cli_env):
    cli_env["STARTLINE_WEBHOOK_ALLOW_PRIVATE"] = "true"
    return cli_env


def test_create_shows_the_secret_once_and_stores_it_encrypted(cli, db, receiver, private_ok):
    created = ok_json(
        cli(
            "webhooks",
            "create",
            "--url",
            receiver.url,
            "--type",
            "participant.*",
            "--all",
            "--json",
        )
    )
    assert set(created) == {"webhook_id", "url", "secret"}
    assert created["url"] == receiver.url and created["secret"].startswith("whsec_")
    with db.reading() as session:
        stored = session.execute(select(WebhookSubscription)).scalar_one()
    assert created["secret"].encode() not in stored.secret_encrypted
    assert created["secret"][6:].encode() not in stored.secret_encrypted

    listed = ok_json(cli("webhooks", "list", "--json"))
    assert isinstance(listed, list) and len(listed) == 1
    row = listed[0]
    assert {k: row[k] for k in ("webhook_id", "url", "status")} == {
        "webhook_id": created["webhook_id"],
        "url": receiver.url,
        "status": "enabled",
    }
    assert row["types"] == ["participant.*"] and row["scope"] == "all"
    assert "secret" not in cli("webhooks", "list").output.lower().replace("secrets", "")
    assert created["secret"] not in cli("webhooks", "list", "--json").output


def test_scopes_races_and_timer(cli, world, receiver, private_ok):
    by_race = ok_json(
        cli(
            "webhooks",
            "create",
            "--url",
            receiver.url,
            "--race",
            str(world.race_a),
            "--race",
            str(world.race_b),
            "--json",
        )
    )
    by_timer = ok_json(
        cli("webhooks", "create", "--url", receiver.url, "--timer", str(world.timer_id), "--json")
    )
    listed = {r["webhook_id"]: r for r in ok_json(cli("webhooks", "list", "--json"))}
    assert listed[by_race["webhook_id"]]["races"] == sorted([world.race_a, world.race_b])
    assert listed[by_timer["webhook_id"]]["timer_id"] == world.timer_id
    assert listed[by_timer["webhook_id"]]["scope"] == "timer"


def test_test_sends_now_and_deliveries_show_the_attempt(cli, receiver, private_ok):
    created = ok_json(cli("webhooks", "create", "--url", receiver.url, "--all", "--json"))
    receiver.secrets.append(created["secret"])
    webhook_id = str(created["webhook_id"])
    sent = ok_json(cli("webhooks", "test", webhook_id, "--json"))
    assert sent["status"] == "delivered" and sent["status_code"] == 200
    (message,) = receiver.messages()
    assert message.verified_with == [0] and message.json["type"] == "webhook.test"

    (delivery,) = ok_json(cli("webhooks", "deliveries", webhook_id, "--json"))
    assert delivery["delivery_id"] == sent["delivery_id"]
    assert delivery["status"] == "delivered" and delivery["attempts"] == 1
    assert delivery["message_id"] == message.message_id
    assert delivery["log"][0]["status_code"] == 200

    again = ok_json(
        cli("webhooks", "redeliver", webhook_id, str(delivery["delivery_id"]), "--json")
    )
    assert again["status"] == "pending"
    (delivery,) = ok_json(
        cli("webhooks", "deliveries", webhook_id, "--status", "pending", "--json")
    )
    assert delivery["attempts"] == 0
    text = cli("webhooks", "deliveries", webhook_id).output
    assert "webhook.test" in text and "pending" in text


def test_rotate_disable_enable_delete(cli, db, receiver, private_ok):
    created = ok_json(cli("webhooks", "create", "--url", receiver.url, "--all", "--json"))
    webhook_id = str(created["webhook_id"])
    rotated = ok_json(cli("webhooks", "rotate-secret", webhook_id, "--json"))
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created["secret"]
    assert rotated["previous_secret_signs_until"]
    assert ok_json(cli("webhooks", "disable", webhook_id, "--json"))["status"] == "disabled"
    assert ok_json(cli("webhooks", "list", "--json"))[0]["status"] == "disabled"
    fails_with(cli("webhooks", "test", webhook_id), f"webhooks enable {webhook_id}")
    assert ok_json(cli("webhooks", "enable", webhook_id, "--json"))["status"] == "enabled"
    assert ok_json(cli("webhooks", "delete", webhook_id, "--json"))["deleted"] is True
    assert ok_json(cli("webhooks", "list", "--json")) == []
    assert "(no webhooks)" in cli("webhooks", "list").output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--url", "ftp://example.com/x", "--all"], "must start with http:// or https://"),
        (["--url", "example.com", "--all"], "must start with http:// or https://"),
        (["--url", "http://", "--all"], "has no host"),
        (["--url", "http://example.com:99999/", "--all"], "not a valid URL"),
        (["--url", "http://u:p@example.com/", "--all"], "leave user and password out"),
        (
            ["--url", "https://example.com", "--all", "--type", "participant.made"],
            "unknown webhook type 'participant.made'",
        ),
        (["--url", "https://example.com", "--all", "--type", "*"], "unknown webhook type"),
        (["--url", "https://example.com"], "give exactly one scope"),
        (["--url", "https://example.com", "--all", "--race", "1"], "give exactly one scope"),
        (["--url", "https://example.com", "--race", "999"], "no race 999"),
        (["--url", "https://example.com", "--timer", "999"], "no timer account 999"),
        (["--url", "https://example.com", "--timer", "99999999999"], "no timer account"),
        (["--url", "https://example.com", "--race", "99999999999"], "no race 99999999999"),
        (["--url", "http://127.0.0.1:9/x", "--all"], "127.0.0.1 is a loopback address"),
        (["--url", "http://10.1.2.3/x", "--all"], "private address"),
        (["--url", "http://169.254.169.254/", "--all"], "link-local address"),
        (["--url", "http://[::1]:8080/", "--all"], "loopback address"),
        (["--url", "http://[::ffff:192.168.0.1]/", "--all"], "private address"),
        (["--url", "http://localhost/", "--all"], "localhost resolves to"),
        (["--url", "https://nowhere.invalid/", "--all"], "cannot resolve nowhere.invalid"),
    ],
)
def test_create_mistakes_are_one_line_and_change_nothing(cli, world, args, message):
    fails_with(cli("webhooks", "create", *args), message)
    assert ok_json(cli("webhooks", "list", "--json")) == []


@pytest.mark.parametrize(
    "args",
    [
        ["disable", "7"],
        ["enable", "7"],
        ["delete", "7"],
        ["rotate-secret", "7"],
        ["deliveries", "7"],
        ["redeliver", "7", "1"],
        ["test", "7"],
        ["delete", "99999999999"],
    ],
)
def test_an_unknown_webhook_is_one_line(cli, args):
    fails_with(cli("webhooks", *args), "no webhook")


def test_other_mistakes_are_one_line(cli, receiver, private_ok):
    created = ok_json(cli("webhooks", "create", "--url", receiver.url, "--all", "--json"))
    webhook_id = str(created["webhook_id"])
    fails_with(cli("webhooks", "redeliver", webhook_id, "5"), "has no delivery 5")
    fails_with(cli("webhooks", "deliveries", webhook_id, "--status", "lost"), "--status")
    fails_with(cli("webhooks", "disable", "abc"), "Invalid value for 'ID'")
    fails_with(cli("webhooks", "deliveries", webhook_id, "--limit", "0"), "--limit")


def test_prune_keeps_pending_and_recent_deliveries(cli, db, receiver, private_ok):
    from datetime import timedelta

    from sqlalchemy import update

    from startline.db.base import utcnow
    from startline.domain.webhooks.models import WebhookDelivery

    created = ok_json(cli("webhooks", "create", "--url", receiver.url, "--all", "--json"))
    webhook_id = str(created["webhook_id"])
    old = ok_json(cli("webhooks", "test", webhook_id, "--json"))["delivery_id"]
    recent = ok_json(cli("webhooks", "test", webhook_id, "--json"))["delivery_id"]
    receiver.script = [500]
    pending = ok_json(cli("webhooks", "test", webhook_id, "--json"))["delivery_id"]
    with db.transaction() as session:
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_([old, pending]))
            .values(finished_at=utcnow() - timedelta(days=40), created_at=utcnow() - timedelta(40))
        )
    assert ok_json(cli("webhooks", "prune", "--json")) == {"deleted": 1, "older_than_days": 30}
    left = ok_json(cli("webhooks", "deliveries", webhook_id, "--json"))
    assert sorted(d["delivery_id"] for d in left) == sorted([recent, pending])


def test_webhook_commands_do_not_import_the_server_stack(cli, cli_env, receiver, private_ok):
    from tests.integration.test_cli_startup import loaded_modules, server_stack_in

    created = ok_json(cli("webhooks", "create", "--url", receiver.url, "--all", "--json"))
    for args in (["list"], ["test", str(created["webhook_id"])]):
        code, loaded, _ = loaded_modules(cli_env, "webhooks", *args)
        assert code == 0 and "sqlalchemy" in loaded
        assert server_stack_in(loaded) == [], args


def test_a_secret_from_another_server_key_is_one_line(cli, db, receiver, private_ok):
    from sqlalchemy import update

    from startline.domain.accounts.secrets import SecretBox

    created = ok_json(cli("webhooks", "create", "--url", receiver.url, "--all", "--json"))
    with db.transaction() as session:
        session.execute(
            update(WebhookSubscription).values(
                secret_encrypted=SecretBox("another server key").seal("whsec_AAAA")
            )
        )
    webhook_id = str(created["webhook_id"])
    fails_with(cli("webhooks", "test", webhook_id), f"rotate-secret {webhook_id}")
    assert ok_json(cli("webhooks", "list", "--json"))[0]["status"] == "enabled"  # unchanged
    assert ok_json(cli("webhooks", "deliveries", webhook_id, "--json")) == []
    rotated = ok_json(cli("webhooks", "rotate-secret", webhook_id, "--json"))
    receiver.secrets.append(rotated["secret"])
    assert ok_json(cli("webhooks", "test", webhook_id, "--json"))["status"] == "delivered"
    assert receiver.messages()[0].verified_with == [0]

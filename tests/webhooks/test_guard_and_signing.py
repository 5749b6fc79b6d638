"""The SSRF guard's address rules, the signature against `standardwebhooks`' own verify,
and the retry schedule setting."""

from __future__ import annotations

import ipaddress
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from startline.domain.webhooks import signing
from startline.domain.webhooks.queue import DELIVER, DISABLE, FAIL, RETRY, verdict
from startline.settings import SettingsError, load_settings
from startline.webhooks.guard import TargetRefused, refused_kind, resolve


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("10.0.0.1", "private"),
        ("10.255.255.255", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("100.64.0.1", "non-public"),  # carrier-grade NAT
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.1.2.3", "private"),
        ("::ffff:169.254.1.1", "link-local"),
        ("2002:0a00:0001::1", "private"),  # 6to4 of 10.0.0.1
        ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 of 169.254.169.254
    ],
)
def test_refused_addresses(address, kind):
    found = refused_kind(ipaddress.ip_address(address))
    assert found is not None and found.startswith(kind), found


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700::1111"])
def test_public_addresses_pass(address):
    assert refused_kind(ipaddress.ip_address(address)) is None


def test_resolve_refuses_loopback_unless_allowed():
    with pytest.raises(TargetRefused, match="localhost resolves to .* loopback address"):
        resolve("localhost", 80, allow_private=False)
    with pytest.raises(TargetRefused, match="STARTLINE_WEBHOOK_ALLOW_PRIVATE"):
        resolve("::1", 80, allow_private=False)
    assert "127.0.0.1" in resolve("127.0.0.1", 80, allow_private=True).addresses
    with pytest.raises(TargetRefused, match="cannot resolve"):
        resolve("nothing.invalid", 80, allow_private=True)


def test_signatures_verify_with_standardwebhooks():
    secret = signing.new_secret()
    assert secret.startswith("whsec_") and len(signing.secret_key(secret)) == 32
    message_id, now = signing.new_message_id(), int(time.time())
    body = b'{"type":"webhook.test","timestamp":"2026-12-01T00:00:00.000000Z","data":{}}'
    header = signing.signature(secret, message_id, now, body)
    reference = Webhook(secret).sign(message_id, datetime.fromtimestamp(now, UTC), body.decode())
    assert header == reference
    headers = {"webhook-id": message_id, "webhook-timestamp": str(now)}
    assert Webhook(secret).verify(body, {**headers, "webhook-signature": header})["data"] == {}
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(body, {**headers, "webhook-signature": header})
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", {**headers, "webhook-signature": header})


def test_two_secrets_sign_side_by_side():
    old, new = signing.new_secret(), signing.new_secret()
    message_id, now, body = "msg_1", int(time.time()), b"{}"
    header = signing.signature_header([new, old], message_id, now, body)
    assert len(header.split(" ")) == 2
    headers = {"webhook-id": message_id, "webhook-timestamp": str(now), "webhook-signature": header}
    for secret in (old, new):
        Webhook(secret).verify(body, headers)


def test_secret_key_refuses_what_is_not_a_secret():
    for bad in ("abc", "whsec_", "whsec_!!!"):
        with pytest.raises(ValueError):
            signing.secret_key(bad)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, DELIVER),
        (204, DELIVER),
        (299, DELIVER),
        (301, RETRY),
        (307, RETRY),
        (304, RETRY),
        (410, DISABLE),
        (429, RETRY),
        (500, RETRY),
        (503, RETRY),
        (400, FAIL),
        (404, FAIL),
        (None, RETRY),
    ],
)
def test_what_an_answer_means(status, expected):
    assert verdict(status) == expected


def test_the_retry_schedule_setting(monkeypatch):
    assert load_settings().webhook_retry_delays == (
        5,
        300,
        1800,
        7200,
        18000,
        36000,
        50400,
        72000,
        86400,
    )
    monkeypatch.setenv("STARTLINE_WEBHOOK_RETRY_SCHEDULE", "0.5, 2,10")
    assert load_settings().webhook_retry_delays == (0.5, 2, 10)
    for bad in ("", "5,,7", "five", "-1", "nan", "999999999"):
        monkeypatch.setenv("STARTLINE_WEBHOOK_RETRY_SCHEDULE", bad)
        with pytest.raises(SettingsError, match="STARTLINE_WEBHOOK_RETRY_SCHEDULE"):
            load_settings()

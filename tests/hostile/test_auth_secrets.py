"""Secrets: every credential check goes through a constant-time comparison (hmac.compare_digest)
or argon2's verify, unknown keys included (equal work); and no secret that arrives over the wire
shows in the server's log or in any table."""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from startline.dialects.runsignup import signature
from startline.domain.accounts import secrets as secrets_module
from startline.domain.accounts import service as accounts
from startline.domain.accounts.secrets import SecretBox
from tests.conftest import TEST_SECRET_KEY
from tests.contract.runsignup.conftest import race_doc
from tests.integration.test_secrets_at_rest import all_stored_text
from tests.support.server import running_server

PASSWORD = "Wire-Password-7731"


class Calls:
    """Counts calls to one function while it is patched."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> None:
        self.count = 0
        real = getattr(owner, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, counted)

    def during(self, action: Callable[[], object]) -> int:
        before = self.count
        action()
        return self.count - before


@pytest.fixture
def compare(monkeypatch: pytest.MonkeyPatch) -> Calls:
    return Calls(monkeypatch, hmac, "compare_digest")


@pytest.fixture
def issued(db) -> Iterator[dict[str, Any]]:
    box = SecretBox(TEST_SECRET_KEY)
    with db.transaction() as session:
        user = accounts.create_user(
            session, email="a@example.com", password=PASSWORD, is_admin=True
        )
        key = accounts.create_api_key(session, email="a@example.com")
        tmp = accounts.create_temporary_credentials(session, user=user)
        partner = accounts.create_partner(session, name="P", box=box)
        token = accounts.create_connect_token(
            session, owner_email="a@example.com", permissions=accounts.PERMISSIONS, all_races=True
        )
    yield {"key": key, "tmp": tmp, "partner": partner, "token": token.token, "box": box}


def test_every_secret_check_is_constant_time_even_for_unknown_keys(db, issued, compare):
    key, tmp, partner = issued["key"], issued["tmp"], issued["partner"]
    token_id = issued["token"].split("|")[0]
    checks: dict[str, Callable[[Any], object]] = {
        "api key": lambda s: accounts.authenticate_api_key(s, key=key.key, secret=key.secret),
        "api key, wrong": lambda s: accounts.authenticate_api_key(s, key=key.key, secret="x"),
        "api key, unknown": lambda s: accounts.authenticate_api_key(s, key="nokey", secret="x"),
        "tmp key": lambda s: accounts.authenticate_temporary_credentials(
            s, key=tmp.key, secret=tmp.secret, idle_seconds=3600
        ),
        "tmp key, wrong": lambda s: accounts.authenticate_temporary_credentials(
            s, key=tmp.key, secret="x", idle_seconds=3600
        ),
        "tmp key, unknown": lambda s: accounts.authenticate_temporary_credentials(
            s, key="nokey", secret="x", idle_seconds=3600
        ),
        "logout, unknown": lambda s: accounts.revoke_temporary_credentials(
            s, key="nokey", secret="x"
        ),
        "connect token": lambda s: accounts.authenticate_connect_token(
            s, plaintext=issued["token"]
        ),
        "connect token, wrong": lambda s: accounts.authenticate_connect_token(
            s, plaintext=f"{token_id}|wrong"
        ),
        "connect token, unknown": lambda s: accounts.authenticate_connect_token(
            s, plaintext="999|x"
        ),
        "partner token": lambda s: accounts.find_partner_by_token(s, token=partner.partner_token),
        "partner token, wrong": lambda s: accounts.find_partner_by_token(
            s, token=partner.partner_token.split(".")[0] + ".wrong"
        ),
        "partner token, unknown": lambda s: accounts.find_partner_by_token(s, token="nokey.x"),
        "signature": lambda s: signature.verify(
            s,
            signature.sign(
                partner.signing_id, partner.signing_secret, int(time.time()), "abcd1234"
            ),
            box=issued["box"],
            window_seconds=300,
            nonce_window_seconds=900,
        ),
    }
    for name, check in checks.items():
        with db.transaction() as session:
            assert compare.during(lambda: check(session)) >= 1, name  # noqa: B023


def test_passwords_are_checked_by_argon2_even_for_unknown_users(db, issued, monkeypatch):
    real = secrets_module._password_hasher()
    counting = type("Counting", (), {"verify": real.verify, "hash": real.hash})()
    monkeypatch.setattr(secrets_module, "_password_hasher", lambda: counting)
    verify = Calls(monkeypatch, counting, "verify")
    with db.transaction() as session:
        for email, password in (
            ("a@example.com", PASSWORD),
            ("a@example.com", "wrong"),
            ("nobody@example.com", PASSWORD),
        ):
            assert (
                verify.during(
                    lambda: accounts.check_password(session, email=email, password=password)  # noqa: B023
                )
                == 1
            )


def test_session_tokens_are_checked_in_constant_time(client, issued, compare):
    jwt_text = client.post(
        "/v1/connect/session-token", headers={"Authorization": issued["token"]}
    ).json()["data"]["token"]
    forged = jwt_text[:-2] + ("AA" if not jwt_text.endswith("AA") else "BB")
    for text, status in ((jwt_text, 200), (forged, 401)):
        calls = compare.during(
            lambda: client.get(  # noqa: B023
                "/v1/connect/events", headers={"Authorization": f"Bearer {text}"}
            )
        )  # noqa: B023
        assert calls >= 1


def test_no_wire_secret_in_the_server_log_or_any_table(settings, db, issued, tmp_path: Path):
    key, tmp, partner = issued["key"], issued["tmp"], issued["partner"]
    sig = signature.sign(partner.signing_id, partner.signing_secret, int(time.time()), "logs0001")
    doc = race_doc("LoggedRace", partner_token=partner.partner_token)
    wrong_password = "Wrong-Password-5521"
    with (
        running_server(settings, tmp_path / "server", STARTLINE_LOG_LEVEL="debug") as server,
        httpx.Client(base_url=server.base_url, timeout=30) as http,
    ):
        jwt_text = http.post(
            "/v1/connect/session-token", headers={"Authorization": issued["token"]}
        ).json()["data"]["token"]
        login = http.post(
            "/rest/login",
            params={"format": "json", "password": PASSWORD},
            data={"email": "a@example.com", "password": PASSWORD},
        ).json()
        http.post("/rest/login", data={"email": "a@example.com", "password": wrong_password})
        created = http.post(
            "/rest/race",
            params={
                "format": "json",
                "api_key": key.key,
                "api_secret": key.secret,
                "protected_api_signature": sig,
            },
            files={"request_format": (None, "json"), "request": (None, json.dumps(doc))},
        )
        assert "race" in created.json(), created.text
        http.get(
            "/rest/races", params={"rsu_api_key": key.key}, headers={"X-RSU-API-SECRET": key.secret}
        )
        http.get("/rest/races", params={"tmp_key": tmp.key, "tmp_secret": tmp.secret})
        http.get(
            "/rest/races", params={"tmp_key": login["tmp_key"], "tmp_secret": login["tmp_secret"]}
        )
        http.post(
            "/rest/logout", params={"tmp_key": login["tmp_key"], "tmp_secret": login["tmp_secret"]}
        )
        for authorization in (issued["token"], f"Bearer {jwt_text}"):
            http.get("/v1/connect/events", headers={"Authorization": authorization})
        http.get("/v1/connect/events", params={"token": issued["token"]})
        http.get("/rest/nowhere", params={"API_SECRET": key.secret, "Password": PASSWORD})
    log = server.process.stderr.read().decode("utf-8", "replace")
    assert key.key in log and "/rest/race" in log  # the requests were logged...
    wire_secrets = {
        "api_secret": key.secret,
        "tmp_secret": tmp.secret,
        "password": PASSWORD,
        "wrong password": wrong_password,
        "signature": sig.rsplit(".", 1)[1],
        "partner_token": partner.partner_token.split(".")[1],
        "connect token": issued["token"].split("|")[1],
        "session token": jwt_text,
        "login's tmp_secret": login["tmp_secret"],
    }
    for name, secret in wire_secrets.items():  # ...without a secret
        assert secret not in log, name
    stored = all_stored_text(db)
    for name, secret in wire_secrets.items():
        assert secret not in stored, name

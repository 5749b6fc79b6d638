"""Fixtures for RunSignup contract tests: a user with a key, a partner with a signing
identity, and a client that sends races the way the official PHP client does."""

from __future__ import annotations

import json
import secrets
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from startline.dialects.runsignup.signature import sign
from startline.domain.accounts import service as accounts

NEXT_YEAR = datetime.now().year + 1
PASSWORD = "correct horse battery staple"


def future(month_day_time: str = "06-07 08:30:00", years: int = 1) -> str:
    return f"{datetime.now().year + years}-{month_day_time}"


def race_doc(url_string: str = "MyRaceUrl", **overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": "Race Name",
        "url_string": url_string,
        "draft_race": "F",
        "address": {
            "street": "300 Mill St.",
            "city": "Moorestown",
            "state": "NJ",
            "country_code": "US",
            "zipcode": "08057",
        },
        "contact_email": "example@example.com",
        "timezone": "America/New_York",
        "events": [
            {
                "name": "8K",
                "start_time": future(),
                "event_type": "running_race",
                "distance": 8,
                "distance_units": "K",
                "age_calc_base_date": None,
            }
        ],
    }
    doc.update(overrides)
    return doc


def parse(response: Any) -> Any:
    """The body of a response as plain values (JSON as is; XML via ElementTree)."""
    if response.headers["content-type"].startswith("application/json"):
        return response.json()
    return ET.fromstring(response.content)


def error_of(response: Any) -> tuple[int, list[int]]:
    assert response.status_code == 200, response.text
    body = parse(response)
    if isinstance(body, dict):
        error = body["error"]
        return error["error_code"], [d["error_code"] for d in error.get("error_details", [])]
    assert body.tag == "error", response.text
    details = [int(d.findtext("error_code")) for d in body.findall("error_details/error")]
    return int(body.findtext("error_code")), details


@dataclass
class Account:
    user_id: int
    email: str
    api_key: str
    api_secret: str


@dataclass
class Rsu:
    client: Any
    db: Any
    services: Any
    owner: Account
    signing_id: int
    signing_secret: str
    partner_id: int
    partner_token: str
    extra_accounts: list[Account] = field(default_factory=list)

    def signature(
        self,
        *,
        ts: int | None = None,
        nonce: str | None = None,
        identity: int | None = None,
        secret: str | None = None,
    ) -> str:
        return sign(
            identity or self.signing_id,
            secret or self.signing_secret,
            int(time.time()) if ts is None else ts,
            nonce or secrets.token_hex(4),
        )

    def auth_query(self, account: Account | None = None) -> dict[str, str]:
        account = account or self.owner
        return {"api_key": account.api_key, "api_secret": account.api_secret}

    def post_race(
        self,
        doc: Any,
        *,
        fmt: str = "json",
        request_format: str = "json",
        race_id: int | None = None,
        account: Account | None = None,
        query: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
        signed: bool = True,
        path: str = "/rest/race",
    ) -> Any:
        params = {**self.auth_query(account), "format": fmt}
        if signed:
            params["protected_api_signature"] = self.signature()
        params.update(query or {})
        if isinstance(doc, str):
            text = doc
        elif request_format == "json":
            text = json.dumps(doc)
        else:
            text = to_xml(doc)
        data = {"request_format": request_format, "request": text, **(form or {})}
        if race_id is not None:
            data["race_id"] = str(race_id)
        files = {name: (None, value) for name, value in data.items()}
        return self.client.post(path, params=params, files=files)

    def create(self, doc: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        response = self.post_race(doc or race_doc(), **kwargs)
        body = response.json()
        assert "race" in body, body
        return body["race"]

    def add_account(self, email: str, *, is_admin: bool = False) -> Account:
        with self.db.transaction() as session:
            user = accounts.create_user(
                session,
                email=email,
                password=PASSWORD,
                is_admin=is_admin,
                first_name="A",
                last_name="B",
            )
            issued = accounts.create_api_key(session, email=email)
            account = Account(user.id, email, issued.key, issued.secret)
        self.extra_accounts.append(account)
        return account


def to_xml(doc: dict[str, Any], root: str = "request") -> str:
    def write(tag: str, value: Any) -> str:
        if isinstance(value, dict):
            return f"<{tag}>" + "".join(write(k, v) for k, v in value.items()) + f"</{tag}>"
        if isinstance(value, list):
            item = tag[:-1]
            return f"<{tag}>" + "".join(write(item, v) for v in value) + f"</{tag}>"
        if value is None:
            return f"<{tag}></{tag}>"
        text = str(value).replace("&", "&amp;").replace("<", "&lt;")
        return f"<{tag}>{text}</{tag}>"

    return '<?xml version="1.0" encoding="utf-8" ?>\n' + write(root, doc)


@pytest.fixture
def rsu(client, app, db) -> Rsu:  # type: ignore[no-untyped-def]
    services = app.state.services
    with db.transaction() as session:
        user = accounts.create_user(
            session,
            email="owner@example.com",
            password=PASSWORD,
            first_name="Olive",
            last_name="Owner",
        )
        issued = accounts.create_api_key(session, email="owner@example.com")
        partner = accounts.create_partner(session, name="Partner", box=services.box)
        owner = Account(user.id, "owner@example.com", issued.key, issued.secret)
    return Rsu(
        client=client,
        db=db,
        services=services,
        owner=owner,
        signing_id=partner.signing_id,
        signing_secret=partner.signing_secret,
        partner_id=partner.partner_id,
        partner_token=partner.partner_token,
    )

"""The world the hostile suites attack: a race with events and a participant, a RunSignup
key, partner and signing identity, and an all-permissions Tracx connect token."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import pytest

from startline.dialects.runsignup.signature import sign
from startline.domain.accounts import service as accounts
from tests.hostile.snapshot import Snapshot, assert_unchanged, snapshot
from tests.support.seed import SeededRace, connect_token, seed_race

PASSWORD = "correct horse battery staple"
OWNER = "owner@example.com"


@dataclass
class World:
    client: Any
    db: Any
    race: SeededRace
    api_key: str
    api_secret: str
    signing_id: int
    signing_secret: str
    token: str

    def signature(self) -> str:
        return sign(self.signing_id, self.signing_secret, int(time.time()), secrets.token_hex(4))

    def rsu_query(self, fmt: str = "json", *, signed: bool = True) -> dict[str, str]:
        query = {"api_key": self.api_key, "api_secret": self.api_secret, "format": fmt}
        if signed:
            query["protected_api_signature"] = self.signature()
        return query

    def participant(self, **overrides: Any) -> dict[str, Any]:
        body = {
            "unique_id": "runner-1",
            "first_name": "Kris",
            "last_name": "Kuiper",
            "country_code": "nl",
            "date_of_birth": "2001-01-01",
            "start_number": "1",
            "chip_code": "0000001",
            "gender": "male",
            "state": "before",
            "race_id": self.race.event_ids[0],
        }
        body.update(overrides)
        return body

    def snapshot(self) -> Snapshot:
        return snapshot(self.db)

    def assert_unchanged(self, before: Snapshot) -> None:
        assert_unchanged(before, snapshot(self.db))


@pytest.fixture
def world(client, app, db) -> World:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        accounts.create_user(
            session, email=OWNER, password=PASSWORD, first_name="O", last_name="W", is_admin=True
        )
    race = seed_race(db, owner_email=OWNER)
    with db.transaction() as session:
        key = accounts.create_api_key(session, email=OWNER)
        partner = accounts.create_partner(session, name="Partner", box=app.state.services.box)
    built = World(
        client=client,
        db=db,
        race=race,
        api_key=key.key,
        api_secret=key.secret,
        signing_id=partner.signing_id,
        signing_secret=partner.signing_secret,
        token=connect_token(db, owner_email=OWNER),
    )
    stored = client.post(
        "/v1/connect/participant", json=built.participant(), headers={"Authorization": built.token}
    )
    assert stored.status_code == 200, stored.text
    return built

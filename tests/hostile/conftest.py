"""The world the hostile suites attack (tests/support/world.py's ClientWorld): a race with
events and a participant, a RunSignup key, partner and signing identity, and an
all-permissions Tracx connect token; with the database snapshots the suites compare."""

from __future__ import annotations

from typing import Any

import pytest

from tests.hostile.snapshot import Snapshot, assert_unchanged, snapshot
from tests.support.world import ClientWorld, build_client_world

PASSWORD = "correct horse battery staple"
OWNER = "owner@example.com"


class World(ClientWorld):
    """A ClientWorld that can say whether an attack changed anything."""

    def snapshot(self) -> Snapshot:
        return snapshot(self.db)

    def assert_unchanged(self, before: Snapshot) -> None:
        assert_unchanged(before, snapshot(self.db))


@pytest.fixture
def world(client: Any, app: Any, db: Any) -> World:
    built = build_client_world(
        client, db, app.state.services.box, owner_email=OWNER, password=PASSWORD
    )
    return World(built.client, built.db, built.race, built.credentials)

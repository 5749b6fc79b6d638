"""Fixtures for the Tracx contract: a world of races and connect tokens of every kind."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from startline.domain.accounts.service import PERMISSIONS, create_connect_token
from tests.support.world import RacesWorld, build_races_world

ALL = list(PERMISSIONS)


@dataclass
class Tokens:
    races: str  # scope: race A only, every permission
    timer: str  # scope: the timer's races, every permission
    admin: str  # scope: all
    events_only: str  # race A, only permissions.events.list
    races_token_id: int


@pytest.fixture
def world(db) -> RacesWorld:
    return build_races_world(db)


@pytest.fixture
def tokens(db, world: RacesWorld) -> Tokens:
    with db.transaction() as s:
        races = create_connect_token(
            s, owner_email=world.owner_email, permissions=ALL, race_ids=[world.race_a]
        )
        timer = create_connect_token(
            s, owner_email=world.owner_email, permissions=ALL, timer_id=world.timer_id
        )
        admin = create_connect_token(
            s, owner_email=world.admin_email, permissions=ALL, all_races=True
        )
        events_only = create_connect_token(
            s,
            owner_email=world.owner_email,
            permissions=["permissions.events.list"],
            race_ids=[world.race_a],
        )
    return Tokens(
        races=races.token,
        timer=timer.token,
        admin=admin.token,
        events_only=events_only.token,
        races_token_id=races.token_id,
    )


def participant(race_id: int, unique_id: str = "1", **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "unique_id": unique_id,
        "first_name": "Kris",
        "last_name": "Kuiper",
        "country_code": "nl",
        "team_name": None,
        "date_of_birth": "2001-01-01",
        "start_number": unique_id,
        "chip_code": unique_id.rjust(7, "0"),
        "gender": "male",
        "state": "before",
        "race_id": race_id,
    }
    body.update(overrides)
    return body

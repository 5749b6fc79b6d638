"""Who may read a race's runners (and see it as a draft): owner, admins, the members of its
timer; everyone else may see a published race but not read its runners."""

from __future__ import annotations

import pytest

from startline.domain.accounts.models import User
from startline.domain.races.access import race_access, readable_race
from startline.domain.races.errors import NotRaceReader, RaceNotFound
from startline.domain.races.inputs import Actor
from tests.support.world import build_start_world


def _users(db) -> dict[str, int]:
    with db.transaction() as s:
        made = {
            name: User(email=f"{name}@example.com", password_hash="-", is_admin=name == "admin")
            for name in ("owner", "admin", "member", "stranger")
        }
        s.add_all(made.values())
        s.flush()
        return {name: user.id for name, user in made.items()}


@pytest.mark.parametrize("draft", [False, True])
def test_readers_and_what_others_get(db, draft):
    users = _users(db)
    world = build_start_world(
        db, owner_id=users["owner"], member_ids=(users["member"],), draft=draft
    )
    with db.reading() as s:
        for name in ("owner", "admin", "member"):
            actor = Actor(user_id=users[name], is_admin=name == "admin")
            assert readable_race(s, race_id=world.race_id, actor=actor).may_read_runners
        stranger = Actor(user_id=users["stranger"])
        expected = RaceNotFound if draft else NotRaceReader
        with pytest.raises(expected):
            readable_race(s, race_id=world.race_id, actor=stranger)
        with pytest.raises(expected):
            readable_race(s, race_id=world.race_id, actor=None)
        # The member of one race's timer reads nothing of another race.
        with pytest.raises(NotRaceReader):
            readable_race(s, race_id=world.other_race_id, actor=Actor(user_id=users["member"]))
        for missing in (999_999, 0, -1, 2**40):
            assert race_access(s, race_id=missing, actor=stranger) is None
            with pytest.raises(RaceNotFound):
                readable_race(s, race_id=missing, actor=stranger)

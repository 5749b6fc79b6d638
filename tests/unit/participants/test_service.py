"""The participant domain: upsert one or many, keyed on (edition, unique_id), with chip and
bib unique per edition judged on the state after the write."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from startline.domain.participants import sql
from startline.domain.participants.errors import (
    Clash,
    EditionNotFound,
    ParticipantClash,
    UnknownEvent,
)
from startline.domain.participants.models import Participant
from startline.domain.participants.reading import (
    find_participant,
    participants_of_edition,
    participants_of_event,
)
from startline.domain.participants.service import (
    ParticipantChange,
    upsert_participant,
    upsert_participants,
)
from tests.support.world import RacesWorld, build_races_world, change


@pytest.fixture
def world(db) -> RacesWorld:
    return build_races_world(db)


def _one(db, w: RacesWorld, c: ParticipantChange):
    with db.transaction() as s:
        return upsert_participant(s, change=c)


def _batch(db, edition_id: int, changes: list[ParticipantChange]):
    with db.transaction() as s:
        return upsert_participants(s, edition_id=edition_id, rows=[c.as_row() for c in changes])


def _state(db, edition_id: int) -> dict[str, tuple[int, str, str]]:
    with db.reading() as s:
        return {
            p.unique_id: (p.event_id, p.start_number, p.chip_code)
            for p in participants_of_edition(s, edition_id=edition_id)
        }


def test_insert_then_update_keeps_the_row_and_created_at(db, world):
    first = _one(db, world, change(world.event_a1_10k, "r1", country_code="nl"))
    assert first.created and first.participant.state == "before"
    second = _one(db, world, change(world.event_a1_half, "r1", bib="77", team_name="Team"))
    assert not second.created
    p = second.participant
    assert p.id == first.participant.id
    assert (p.event_id, p.edition_id) == (world.event_a1_half, world.edition_a1)
    assert p.start_number == "77"
    assert p.country_code == "nl"  # absent optional field keeps its value
    assert p.team_name == "Team"
    assert p.created_at == first.participant.created_at
    assert p.updated_at >= first.participant.updated_at


def test_null_clears_an_optional_field_but_state_null_keeps_state(db, world):
    first = change(world.event_a1_10k, "r1", country_code="nl", gender="male", state="during")
    _one(db, world, first)
    p = _one(db, world, change(world.event_a1_10k, "r1", country_code=None, state=None)).participant
    assert p.country_code is None
    assert p.gender == "male"
    assert p.state == "during"


def test_same_unique_id_in_another_edition_is_another_participant(db, world):
    a = _one(db, world, change(world.event_a1_10k, "r1")).participant
    b = _one(db, world, change(world.event_a2_10k, "r1")).participant
    assert a.id != b.id
    with db.reading() as s:
        assert find_participant(s, edition_id=world.edition_a2, unique_id="r1").id == b.id
        assert [x.id for x in participants_of_event(s, event_id=world.event_a1_10k)] == [a.id]


def test_chip_and_bib_clash_are_reported_together_and_change_nothing(db, world):
    _one(db, world, change(world.event_a1_10k, "r1", bib="1", chip="0000001"))
    _one(db, world, change(world.event_a1_10k, "r2", bib="2", chip="0000002"))
    with pytest.raises(ParticipantClash) as caught:
        _one(db, world, change(world.event_a1_half, "r2", bib="1", chip="0000001"))
    assert caught.value.clashes == [Clash(0, "start_number"), Clash(0, "chip_code")]
    assert _state(db, world.edition_a1)["r2"] == (world.event_a1_10k, "2", "0000002")


def test_chip_of_another_edition_is_free(db, world):
    _one(db, world, change(world.event_a1_10k, "r1", chip="0000001"))
    _one(db, world, change(world.event_a2_10k, "r9", chip="0000001"))


def test_unknown_event(db, world):
    for event_id in (999_999, 2**40, 0):
        with pytest.raises(UnknownEvent):
            _one(db, world, change(event_id, "r1"))


def test_batch_counts_created_and_updated(db, world):
    _one(db, world, change(world.event_a1_10k, "r1"))
    outcome = _batch(
        db, world.edition_a1, [change(world.event_a1_half, "r1"), change(world.event_a1_10k, "r2")]
    )
    assert (outcome.created, outcome.updated) == (1, 1)
    assert _state(db, world.edition_a1)["r1"][0] == world.event_a1_half


def test_batch_swaps_chips_and_bibs(db, world):
    _batch(
        db,
        world.edition_a1,
        [
            change(world.event_a1_10k, "r1", bib="1", chip="AAAAAAA"),
            change(world.event_a1_10k, "r2", bib="2", chip="BBBBBBB"),
            change(world.event_a1_10k, "r3", bib="3", chip="CCCCCCC"),
        ],
    )
    _batch(
        db,
        world.edition_a1,
        [
            change(world.event_a1_10k, "r1", bib="2", chip="BBBBBBB"),
            change(world.event_a1_10k, "r2", bib="3", chip="CCCCCCC"),
            change(world.event_a1_10k, "r3", bib="1", chip="AAAAAAA"),
        ],
    )
    state = _state(db, world.edition_a1)
    assert state["r1"][1:] == ("2", "BBBBBBB")
    assert state["r2"][1:] == ("3", "CCCCCCC")
    assert state["r3"][1:] == ("1", "AAAAAAA")


def test_batch_chip_held_by_a_participant_outside_the_batch(db, world):
    _one(db, world, change(world.event_a1_10k, "keeper", chip="KKKKKKK"))
    with pytest.raises(ParticipantClash) as caught:
        _batch(
            db,
            world.edition_a1,
            [
                change(world.event_a1_10k, "n1"),
                change(world.event_a1_10k, "n2", chip="KKKKKKK"),
            ],
        )
    assert caught.value.clashes == [Clash(1, "chip_code")]
    assert set(_state(db, world.edition_a1)) == {"keeper"}


def test_batch_value_brought_by_two_new_items_blames_the_later(db, world):
    with pytest.raises(ParticipantClash) as caught:
        _batch(
            db,
            world.edition_a1,
            [
                change(world.event_a1_10k, "n1", bib="5"),
                change(world.event_a1_10k, "n2", bib="6"),
                change(world.event_a1_10k, "n3", bib="5"),
            ],
        )
    assert caught.value.clashes == [Clash(2, "start_number")]


def test_batch_item_keeping_its_chip_is_not_blamed(db, world):
    _one(db, world, change(world.event_a1_10k, "r1", chip="0000001"))
    with pytest.raises(ParticipantClash) as caught:
        _batch(
            db,
            world.edition_a1,
            [
                change(world.event_a1_10k, "n1", chip="0000001"),
                change(world.event_a1_10k, "r1", chip="0000001"),
            ],
        )
    assert caught.value.clashes == [Clash(0, "chip_code")]


def test_batch_freeing_a_chip_lets_another_item_take_it(db, world):
    _one(db, world, change(world.event_a1_10k, "r1", chip="0000001"))
    _batch(
        db,
        world.edition_a1,
        [
            change(world.event_a1_10k, "n1", chip="0000001"),
            change(world.event_a1_10k, "r1", chip="0000009"),
        ],
    )
    state = _state(db, world.edition_a1)
    assert state["n1"][2] == "0000001" and state["r1"][2] == "0000009"


def test_batch_duplicate_unique_id_blames_the_later(db, world):
    with pytest.raises(ParticipantClash) as caught:
        _batch(
            db,
            world.edition_a1,
            [
                change(world.event_a1_10k, "r1", bib="1", chip="0000001"),
                change(world.event_a1_10k, "r1", bib="2", chip="0000002"),
            ],
        )
    assert Clash(1, "unique_id") in caught.value.clashes


def test_batch_event_of_another_edition_is_unknown(db, world):
    with pytest.raises(UnknownEvent) as caught:
        _batch(
            db,
            world.edition_a1,
            [
                change(world.event_a1_10k, "r1"),
                change(world.event_a2_10k, "r2"),
            ],
        )
    assert caught.value.indexes == [1]
    assert _state(db, world.edition_a1) == {}


def test_batch_unknown_edition(db, world):
    for edition_id in (999_999, 2**40):
        with pytest.raises(EditionNotFound):
            _batch(db, edition_id, [change(world.event_a1_10k, "r1")])


def test_batch_mixed_optional_fields_keep_or_clear_per_item(db, world):
    _batch(
        db,
        world.edition_a1,
        [
            change(world.event_a1_10k, "r1", team_name="T1", state="during"),
            change(world.event_a1_10k, "r2", team_name="T2", gender="female"),
        ],
    )
    _batch(
        db,
        world.edition_a1,
        [
            change(world.event_a1_10k, "r1"),  # keeps team and state
            change(world.event_a1_10k, "r2", team_name=None, state=None),
            change(world.event_a1_10k, "r3", state=None),
        ],
    )
    with db.reading() as s:
        rows = {p.unique_id: p for p in participants_of_edition(s, edition_id=world.edition_a1)}
    assert (rows["r1"].team_name, rows["r1"].state) == ("T1", "during")
    assert (rows["r2"].team_name, rows["r2"].gender, rows["r2"].state) == (None, "female", "before")
    assert rows["r3"].state == "before"


def test_batch_clash_writes_nothing(db, world):
    _one(db, world, change(world.event_a1_10k, "r1", chip="0000001"))
    with pytest.raises(ParticipantClash):
        _batch(
            db,
            world.edition_a1,
            [
                change(world.event_a1_half, "r1", chip="0000001", team_name="moved"),
                change(world.event_a1_10k, "r2", chip="0000001"),
            ],
        )
    with db.reading() as s:
        assert s.execute(select(func.count()).select_from(Participant)).scalar_one() == 1
        assert find_participant(s, edition_id=world.edition_a1, unique_id="r1").team_name is None


def test_unknown_optional_field_is_refused():
    with pytest.raises(ValueError):
        change(1, "r1", nickname="x")


def test_batch_update_sets_only_the_indexed_fields_that_change(db, world, monkeypatch):
    """A start list sent again with new states writes no bib, chip or event its runner
    already has (SQLite rewrites the index entries of every column an UPDATE sets), and a
    runner whose bib does change still gets it, next to one whose bib stays."""
    _batch(db, world.edition_a1, [change(world.event_a1_10k, f"r{i}") for i in range(3)])
    setting: list[tuple[str, ...]] = []
    for name in ("_sqlite_batch_sql", "postgres_batch_sql"):
        built = getattr(sql, name)

        def recording(sets, *args, _built=built):
            setting.append(sets)
            return _built(sets, *args)

        monkeypatch.setattr(sql, name, recording)
    _batch(
        db,
        world.edition_a1,
        [
            change(world.event_a1_10k, "r0", state="during"),
            change(world.event_a1_10k, "r1", state="during"),
            change(world.event_a1_half, "r2", bib="99", state="during"),
        ],
    )
    # One statement for the unchanged pair, one for the runner that moves and changes bib.
    assert sorted(setting) == sorted(
        [
            ("unique_id", "first_name", "last_name", "date_of_birth", "state"),
            (
                "event_id",
                "unique_id",
                "start_number",
                "first_name",
                "last_name",
                "date_of_birth",
                "state",
            ),
        ]
    )
    state = _state(db, world.edition_a1)
    assert state["r0"] == (world.event_a1_10k, "r0", "00000r0")
    assert state["r2"] == (world.event_a1_half, "99", "00000r2")
    with db.reading() as s:
        states = s.execute(select(Participant.state).distinct()).scalars().all()
    assert states == ["during"]


@pytest.mark.parametrize("is_sqlite", [True, False])
def test_upsert_never_sets_its_own_conflict_key(is_sqlite):
    """unique_id is what the conflict matched on: equal already, and SQLite would rewrite its
    index entry for nothing."""
    clause = sql.on_conflict(("event_id", "unique_id", "state"), is_sqlite)
    assert "unique_id = excluded" not in clause
    assert "participants.unique_id" not in clause
    assert "state = excluded.state" in clause and "event_id = excluded.event_id" in clause

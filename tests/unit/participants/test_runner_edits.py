"""General runner writes as RunSignup's participant POST uses them: edits by runner id that
set or clear only a bib or chip, the runner's event pinned, swaps, repeats, new runners with
derived unique_ids, and all or nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from startline.domain.changes.models import Change
from startline.domain.participants.models import Participant
from startline.domain.participants.service import RunnerProblem, RunnerWrite, write_runners
from tests.support.world import StartWorld, add_runners, build_start_world, runner


@pytest.fixture
def world(db) -> StartWorld:
    return build_start_world(db)


def _write(db, world: StartWorld, writes: list[RunnerWrite]):
    with db.transaction() as s:
        return write_runners(s, edition_id=world.edition_1, writes=writes, origin="runsignup")


def _stored(db, participant_id: int) -> Participant:
    with db.reading() as s:
        found = s.get(Participant, participant_id)
        assert found is not None
        return found


def _changes(db) -> int:
    with db.reading() as s:
        return s.execute(select(func.count()).select_from(Change)).scalar_one()


def _edit(participant_id: int, event_id: int, **values: object) -> RunnerWrite:
    return RunnerWrite(values=dict(values), participant_id=participant_id, in_event=event_id)


def test_a_bib_alone_is_set_on_an_existing_runner_and_nothing_else_moves(db, world):
    (kris,) = add_runners(
        db, world.edition_1, [runner(world.event_10k, "Kuiper", bib="1", chip="C1")]
    )
    before, journaled = _stored(db, kris), _changes(db)
    report = _write(db, world, [_edit(kris, world.event_10k, start_number="77")])
    assert report.written and report.participant_ids == [kris]
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    after = _stored(db, kris)
    assert (after.start_number, after.chip_code) == ("77", "C1")
    assert (after.first_name, after.last_name, after.origin) == ("Kris", "Kuiper", "tracx")
    assert after.search_text == before.search_text
    assert after.updated_at > before.updated_at
    assert _changes(db) == journaled + 1


def test_null_clears_and_the_same_value_changes_nothing(db, world):
    (kris,) = add_runners(
        db, world.edition_1, [runner(world.event_10k, "Kuiper", bib="1", chip="C1")]
    )
    report = _write(db, world, [_edit(kris, world.event_10k, chip_code=None)])
    assert report.updated == 1
    assert (_stored(db, kris).start_number, _stored(db, kris).chip_code) == ("1", None)
    before, journaled = _stored(db, kris), _changes(db)
    report = _write(db, world, [_edit(kris, world.event_10k, start_number="1")])
    assert (report.written, report.updated, report.unchanged) == (True, 0, 1)
    assert _stored(db, kris).updated_at == before.updated_at
    assert _changes(db) == journaled


def test_a_runner_of_another_event_is_not_found(db, world):
    ten, five = add_runners(
        db, world.edition_1, [runner(world.event_10k, "Ten"), runner(world.event_5k, "Five")]
    )
    report = _write(
        db,
        world,
        [
            _edit(ten, world.event_10k, start_number="5"),
            _edit(five, world.event_10k, start_number="6"),
            _edit(123_456, world.event_10k, start_number="7"),
        ],
    )
    assert not report.written
    assert report.problems == [
        RunnerProblem(1, "participant_id", "not_found"),
        RunnerProblem(2, "participant_id", "not_found"),
    ]
    assert _stored(db, ten).start_number is None  # all or nothing


def test_swaps_are_judged_after_the_write_and_repeats_are_refused(db, world):
    a, b = add_runners(
        db,
        world.edition_1,
        [runner(world.event_10k, "A", bib="1"), runner(world.event_10k, "B", bib="2")],
    )
    report = _write(
        db,
        world,
        [_edit(a, world.event_10k, start_number="2"), _edit(b, world.event_10k, start_number="1")],
    )
    assert report.written
    assert (_stored(db, a).start_number, _stored(db, b).start_number) == ("2", "1")
    report = _write(
        db,
        world,
        [_edit(a, world.event_10k, start_number="9"), _edit(a, world.event_10k, chip_code="X")],
    )
    assert report.problems == [RunnerProblem(1, "unique_id", "listed_twice")]
    report = _write(db, world, [_edit(a, world.event_10k, start_number="1")])
    assert report.problems == [RunnerProblem(0, "start_number", "taken")]


def test_new_runners_get_derived_unique_ids_and_their_origin(db, world):
    report = _write(db, world, [runner(world.event_5k, "New", bib="42")])
    (new,) = report.participant_ids
    assert new is not None
    stored = _stored(db, new)
    assert (stored.unique_id, stored.origin, stored.event_id) == (
        f"sl-{new}",
        "runsignup",
        world.event_5k,
    )

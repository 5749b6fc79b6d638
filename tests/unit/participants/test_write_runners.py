"""General runner writes (write_runners): an update that leaves the names alone."""

from __future__ import annotations

import pytest

from startline.domain.participants.reading import find_participant
from startline.domain.participants.service import RunnerWrite, write_runners
from tests.support.world import RacesWorld, build_races_world


@pytest.fixture
def world(db) -> RacesWorld:
    return build_races_world(db)


def _write(db, edition_id, writes, **options):
    with db.transaction() as s:
        return write_runners(s, edition_id=edition_id, writes=writes, origin="csv", **options)


def test_an_update_without_names_keeps_them(db, world):
    new = {"event_id": world.event_a1_10k, "first_name": "Ann", "last_name": "Lee"}
    _write(db, world.edition_a1, [RunnerWrite(values={**new, "start_number": "7"}, unique_id="r1")])
    by_key = RunnerWrite(values={"chip_code": "C1"}, unique_id="r1")
    by_bib = RunnerWrite(values={"state": "finished"}, bib="7")
    for write in (by_key, by_bib):
        report = _write(db, world.edition_a1, [write], mode="update")
        assert (report.updated, report.problems) == (1, [])
    with db.reading() as s:
        runner = find_participant(s, edition_id=world.edition_a1, unique_id="r1")
        assert (runner.first_name, runner.last_name) == ("Ann", "Lee")
        assert (runner.chip_code, runner.state, runner.search_text) == ("C1", "finished", "ann lee")

"""Export then import changes nothing: hypothesis-made runners (names with ä, ß, ø, 漢字,
quotes and delimiters; bibs and chips with leading zeros; optional fields empty or not), in
every column family, with and without the Excel form."""

from __future__ import annotations

import itertools
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from startline.domain.participants.rules import COUNTRIES
from startline.domain.participants.service import RunnerWrite, write_runners
from startline.domain.participants.vocabulary import GENDERS, STATES
from tests.support.world import RacesWorld, add_edition, add_event, build_races_world
from tests.unit.startlists.support import exported, run_import, runners

_LETTERS = "abcxyzÄäÖößøØåÉé漢字かな ,;'\"-."
_text = (
    st.text(alphabet=_LETTERS, min_size=1, max_size=30)
    .map(lambda s: " ".join(s.split()))
    .filter(bool)
)
_code = st.text(alphabet="0123456789ABCxyz-_ä", min_size=1, max_size=12).map(
    lambda s: "0" + s  # leading zeros stay
)
_country = st.sampled_from(sorted(COUNTRIES)).flatmap(
    lambda code: st.sampled_from([code, code.lower(), code[0] + code[1].lower()])
)
_runner = st.fixed_dictionaries(
    {
        "first_name": _text,
        "last_name": _text,
        "start_number": st.none() | _code,
        "chip_code": st.none() | _code,
        "date_of_birth": st.none() | st.dates(date(1900, 1, 1), date(2020, 12, 31)),
        "gender": st.none() | st.sampled_from(GENDERS),
        "country_code": st.none() | _country,
        "team_name": st.none() | _text,
        "state": st.sampled_from(STATES),
        "event": st.integers(0, 2),
    }
)
_runners = st.lists(_runner, min_size=1, max_size=25)
_counter = itertools.count(1)


@pytest.fixture
def world(db) -> RacesWorld:
    return build_races_world(db)


def _edition(db, world: RacesWorld) -> tuple[int, list[int]]:
    with db.transaction() as s:
        edition = add_edition(s, world.race_b)
        start = datetime(2027, 1, 1, 9, 0)
        names = ["10K", "5 km; fun, run", 'Half "21"']
        events = [add_event(s, edition.id, name, start).id for name in names]
    return edition.id, events


def _store(db, edition_id: int, events: list[int], made: list[dict]) -> None:
    writes = []
    seen_bibs: set[str] = set()
    seen_chips: set[str] = set()
    for index, runner in enumerate(made):
        values = {k: v for k, v in runner.items() if k != "event"}
        values["event_id"] = events[runner["event"]]
        # Bibs and chips are unique per edition: drop repeats hypothesis made.
        for name, seen in (("start_number", seen_bibs), ("chip_code", seen_chips)):
            if values[name] in seen:
                values[name] = None
            elif values[name] is not None:
                seen.add(values[name])
        unique_id = f"0{index}-ü{next(_counter)}" if index % 3 else None  # some derived ids
        writes.append(RunnerWrite(values=values, unique_id=unique_id))
    with db.transaction() as s:
        report = write_runners(s, edition_id=edition_id, writes=writes, origin="tracx")
    assert report.problems == [] and report.created == len(made)


@pytest.mark.parametrize(
    ("columns", "excel"),
    [(family, excel) for family in ("tracx", "runsignup", "raceresult") for excel in (False, True)],
)
def test_export_then_import_changes_nothing(db, world, columns, excel):
    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(made=_runners)
    def round_trip(made):
        edition_id, events = _edition(db, world)
        _store(db, edition_id, events, made)
        before = runners(db, edition_id)
        data = exported(db, edition_id, family=columns, excel=excel)
        report = run_import(db, data, edition_id)
        assert (report.errors, report.refused) == ([], 0)
        assert (report.created, report.updated, report.unchanged) == (0, 0, len(made))
        assert runners(db, edition_id) == before

    round_trip()

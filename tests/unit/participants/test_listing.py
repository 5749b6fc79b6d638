"""The start list read: events of any edition of the race, filters, sorts (nulls last both
ways, numeric bibs by value, ties on id), paging over several events, and values equal to
what the ORM reads."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from startline.domain.participants.errors import EventNotOfRace
from startline.domain.participants.listing import (
    RunnerQuery,
    SortKey,
    age_on,
    list_runners,
)
from startline.domain.participants.models import Participant
from tests.support.world import (
    StartWorld,
    add_runners,
    build_start_world,
    runner,
    set_times,
)


@pytest.fixture
def world(db) -> StartWorld:
    return build_start_world(db)


def _list(db, world: StartWorld, **fields):
    fields.setdefault("event_ids", (world.event_10k,))
    fields.setdefault("per_page", 2500)
    with db.reading() as s:
        return list_runners(s, race_id=world.race_id, query=RunnerQuery(**fields))


def _ids(db, world, **fields) -> list[int]:
    return [r.id for r in _list(db, world, **fields).runners]


def _last_names(db, world, **fields) -> list[str]:
    return [r.last_name for r in _list(db, world, **fields).runners]


def test_age_on_counts_whole_years_and_leap_days():
    assert age_on(date(2000, 2, 29), date(2030, 2, 28)) == 29
    assert age_on(date(2000, 2, 29), date(2030, 3, 1)) == 30
    assert age_on(date(1990, 5, 1), date(2030, 5, 1)) == 40
    assert age_on(date(1990, 5, 2), date(2030, 5, 1)) == 39


def test_events_of_any_edition_of_the_race_and_nothing_else(db, world):
    a = add_runners(db, world.edition_1, [runner(world.event_10k, "A")])
    b = add_runners(db, world.edition_2, [runner(world.event_next, "B")])
    listed = _list(db, world, event_ids=(world.event_next, world.event_10k, world.event_next))
    assert [e.id for e in listed.events] == [world.event_next, world.event_10k]  # collapsed
    assert [r.id for r in listed.runners] == a + b
    for bad in ((world.other_event,), (world.event_10k, 999_999), (0,), (2**40,)):
        with pytest.raises(EventNotOfRace):
            _list(db, world, event_ids=bad)


def test_values_as_the_orm_reads_them_and_age_on_each_events_reference_day(db, world):
    born = date(1990, 6, 15)
    ids = add_runners(
        db,
        world.edition_1,
        [
            runner(world.event_10k, "Ten", bib="7", chip="C7", born=born, gender="female"),
            runner(world.event_5k, "Five", born=born, country="nl", team="Harriers"),
            runner(world.event_5k, "Unborn"),
        ],
    )
    listed = _list(db, world, event_ids=(world.event_10k, world.event_5k))
    by_id = {r.id: r for r in listed.runners}
    with db.reading() as s:
        for participant_id in ids:
            stored = s.get(Participant, participant_id)
            got = by_id[participant_id]
            assert (got.created_at, got.updated_at) == (stored.created_at, stored.updated_at)
            assert got.created_at.tzinfo is not None
            assert got.date_of_birth == stored.date_of_birth
            assert (got.start_number, got.chip_code, got.gender) == (
                stored.start_number,
                stored.chip_code,
                stored.gender,
            )
            assert (got.country_code, got.team_name, got.origin) == (
                stored.country_code,
                stored.team_name,
                "tracx",
            )
    assert by_id[ids[0]].age == 39  # on the start day, 2030-05-01
    assert by_id[ids[1]].age == 40  # on the 5K's age date, 2030-12-31
    assert by_id[ids[2]].age is None


def test_paging_runs_over_all_events_together_in_id_order(db, world):
    ids = add_runners(
        db,
        world.edition_1,
        [runner(world.event_10k if i % 3 else world.event_5k, f"R{i}") for i in range(10)],
    )
    both = (world.event_5k, world.event_10k)
    pages = [_ids(db, world, event_ids=both, page=p, per_page=4) for p in (1, 2, 3, 4)]
    assert pages == [ids[0:4], ids[4:8], ids[8:10], []]
    assert _ids(db, world, event_ids=both, sort=(SortKey("id", True),)) == ids[::-1]
    assert _ids(db, world, event_ids=both, after_id=ids[3], per_page=3) == ids[4:7]
    assert _ids(db, world, event_ids=both, after_id=ids[3], before_id=ids[6]) == ids[4:6]
    assert _ids(db, world, event_ids=both, after_id=2**40) == []
    assert _ids(db, world, event_ids=both, before_id=2**40) == ids
    assert _ids(db, world, event_ids=both, after_id=0) == ids


def test_bibs_sort_numbers_by_value_then_text_with_missing_last_both_ways(db, world):
    bibs = ["10", "9", "0010", "A2", "a1", None, "100", "B", None, "0"]
    ids = add_runners(
        db,
        world.edition_1,
        [runner(world.event_10k, f"R{i}", bib=b) for i, b in enumerate(bibs)],
    )
    by_bib = dict(zip(ids, bibs, strict=True))

    def order(descending: bool) -> list[str | None]:
        keys = (SortKey("start_number", descending),)
        return [by_bib[i] for i in _ids(db, world, sort=keys)]

    # "10" and "0010" have one value: the tie goes to the lower id.
    assert order(False) == ["0", "9", "10", "0010", "100", "A2", "B", "a1", None, None]
    assert order(True) == ["a1", "B", "A2", "100", "10", "0010", "9", "0", None, None]


def test_names_sort_ignoring_ascii_case_and_name_is_last_then_first(db, world):
    ids = add_runners(
        db,
        world.edition_1,
        [
            runner(world.event_10k, "de Vries", "Anna"),
            runner(world.event_10k, "Bakker", "zoe"),
            runner(world.event_10k, "bakker", "Adam"),
            runner(world.event_10k, "Claes", "Bob"),
        ],
    )
    name = (SortKey("name"),)
    assert _ids(db, world, sort=name) == [ids[2], ids[1], ids[3], ids[0]]
    assert _ids(db, world, sort=(SortKey("last_name"), SortKey("first_name"))) == [
        ids[2],
        ids[1],
        ids[3],
        ids[0],
    ]
    assert _ids(db, world, sort=(SortKey("first_name", True),)) == [
        ids[1],
        ids[3],
        ids[0],
        ids[2],
    ]
    # Equal last names keep the id order when nothing else is asked.
    assert _ids(db, world, sort=(SortKey("last_name"),)) == [ids[1], ids[2], ids[3], ids[0]]


def test_age_chip_gender_and_created_sorts_keep_missing_values_last(db, world):
    ids = add_runners(
        db,
        world.edition_1,
        [
            runner(world.event_10k, "Old", born=date(1950, 1, 1), chip="B", gender="male"),
            runner(world.event_10k, "None"),
            runner(world.event_5k, "Young", born=date(2000, 12, 30), chip="A", gender="female"),
            # Born the day Young was, but the 10K counts age on its start day: a year younger.
            runner(world.event_10k, "Mid", born=date(2000, 12, 30), chip="C", gender="neutral"),
        ],
    )
    old, none, young, mid = ids
    both = (world.event_10k, world.event_5k)
    assert _ids(db, world, event_ids=both, sort=(SortKey("age"),)) == [mid, young, old, none]
    assert _ids(db, world, event_ids=both, sort=(SortKey("age", True),)) == [
        old,
        young,
        mid,
        none,
    ]
    assert _ids(db, world, event_ids=both, sort=(SortKey("chip_code"),)) == [
        young,
        old,
        mid,
        none,
    ]
    assert _ids(db, world, event_ids=both, sort=(SortKey("chip_code", True),)) == [
        mid,
        old,
        young,
        none,
    ]
    assert _ids(db, world, event_ids=both, sort=(SortKey("gender"),)) == [young, old, mid, none]
    base = datetime(2030, 1, 1, tzinfo=UTC)
    for offset, participant_id in enumerate([mid, old, young, none]):
        set_times(db, participant_id, created_at=base + timedelta(seconds=offset))
    assert _ids(db, world, event_ids=both, sort=(SortKey("created", True),)) == [
        none,
        young,
        old,
        mid,
    ]


def test_time_filters_are_on_or_after_and_strictly_before(db, world):
    ids = add_runners(db, world.edition_1, [runner(world.event_10k, f"R{i}") for i in range(3)])
    t = datetime(2030, 3, 1, 12, 0, 0, tzinfo=UTC)
    for i, participant_id in enumerate(ids):
        moment = t + timedelta(seconds=i, microseconds=500_000 if i == 1 else 0)
        set_times(db, participant_id, created_at=moment, updated_at=moment)
    assert _ids(db, world, modified_since=t + timedelta(seconds=1)) == ids[1:]
    assert _ids(db, world, modified_since=t) == ids
    assert _ids(db, world, modified_since=t + timedelta(seconds=3)) == []
    assert _ids(db, world, created_since=t + timedelta(seconds=2)) == ids[2:]
    assert _ids(db, world, created_before=t + timedelta(seconds=2)) == ids[:2]
    assert _ids(db, world, created_since=t, created_before=t) == []


def test_searches_contain_ignoring_case_bib_exact_email_nobody(db, world):
    ids = add_runners(
        db,
        world.edition_1,
        [
            runner(world.event_10k, "Stephens", "Margie", bib="12"),
            runner(world.event_10k, "STEPH_100%", "Anne-Marie", bib="120"),
            runner(world.event_10k, "Zoë", "Émile", bib="A1"),
        ],
    )
    assert _ids(db, world, last_name="steph") == ids[:2]
    assert _ids(db, world, last_name="h_1") == [ids[1]]  # "_" is no wildcard
    assert _ids(db, world, last_name="%") == [ids[1]]
    assert _ids(db, world, last_name="x%") == []
    assert _ids(db, world, first_name="MARIE") == [ids[1]]
    # Only ASCII letters are folded (the same on both databases); others compare exactly.
    assert _ids(db, world, first_name="Émile") == [ids[2]]
    assert _ids(db, world, first_name="MILE") == [ids[2]]
    assert _ids(db, world, first_name="émile") == []
    assert _ids(db, world, first_name="mar", last_name="STEPHENS") == [ids[0]]
    assert _ids(db, world, start_number="12") == [ids[0]]
    assert _ids(db, world, start_number="a1") == []
    assert _ids(db, world, email="example.com") == []


def test_a_page_far_beyond_the_end_is_empty(db, world):
    add_runners(db, world.edition_1, [runner(world.event_10k, "A")])
    assert _ids(db, world, page=999_999_999, per_page=2500) == []

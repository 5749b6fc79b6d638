"""The domain reads behind the pages: which edition is current, the runner list's sort,
filters, search and paging, counts by bucket, what changed after a position, the switch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from startline.db.engine import Database
from startline.domain.changes import reading
from startline.domain.changes.models import Change
from startline.domain.public import races as public_races
from startline.domain.public import runners as public_runners
from startline.domain.public.races import PublicEdition, PublicEvent, PublicRace
from startline.domain.public.runners import RunnerQuery
from tests.pages.world import delete, make_world, runner, set_race, write


def _race(*editions: tuple[int, datetime, datetime | None]) -> PublicRace:
    return PublicRace(
        id=1,
        name="R",
        url_string="R",
        city=None,
        state=None,
        country_code="US",
        timezone="Europe/Amsterdam",
        editions=tuple(
            PublicEdition(id=eid, events=(PublicEvent(eid, "E", start, end, None, None),))
            for eid, start, end in editions
        ),
    )


def test_an_edition_stays_current_until_local_midnight_after_its_finish() -> None:
    this_year = datetime(2026, 5, 10, 9, 0)
    next_year = datetime(2027, 5, 9, 9, 0)
    race = _race((1, this_year, datetime(2026, 5, 10, 15, 0)), (2, next_year, None))
    # 23:30 local (Amsterdam is UTC+2 in May) on race day: still this year's edition.
    evening = datetime(2026, 5, 10, 21, 30, tzinfo=UTC)
    assert public_races.current_edition(race, evening).id == 1
    # Just after local midnight: the next edition.
    after_midnight = datetime(2026, 5, 10, 22, 1, tzinfo=UTC)
    assert public_races.current_edition(race, after_midnight).id == 2
    # Everything over: the newest.
    assert public_races.current_edition(race, datetime(2028, 1, 1, tzinfo=UTC)).id == 2


def test_of_two_editions_not_over_the_one_finishing_first_is_current() -> None:
    race = _race(
        (1, datetime(2030, 6, 1, 9), None),
        (2, datetime(2030, 5, 1, 9), None),
    )
    assert public_races.current_edition(race, datetime(2026, 1, 1, tzinfo=UTC)).id == 2


def _bibs(db: Database, query: RunnerQuery) -> list[str | None]:
    with db.reading() as session:
        page = public_runners.list_runners(session, query=query)
    return [r.bib for r in page.runners]


def test_sorts_bibs_numbers_by_value_then_text_then_none(db: Database) -> None:
    world = make_world(db)
    ev = world.event_ids[0]
    write(
        db,
        world,
        *[runner(n, ev) for n in (10, 9, 100)],
        runner(1, ev, start_number="007", unique_id="u7"),
        runner(2, ev, start_number="A10", unique_id="ua10"),
        runner(3, ev, start_number="A2", unique_id="ua2"),
        runner(4, ev, start_number=None, chip_code=None, unique_id="unone"),
    )
    query = RunnerQuery(edition_id=world.edition_id)
    assert _bibs(db, query) == ["007", "9", "10", "100", "A2", "A10", None]
    descending = RunnerQuery(edition_id=world.edition_id, descending=True)
    assert _bibs(db, descending) == ["A10", "A2", "100", "10", "9", "007", None]


def test_sorts_by_name_and_by_state_in_race_order(db: Database) -> None:
    world = make_world(db)
    ev = world.event_ids[0]
    write(
        db,
        world,
        runner(1, ev, last_name="smith", first_name="Zed", state="finished"),
        runner(2, ev, last_name="Smith", first_name="amy", state="during"),
        runner(3, ev, last_name="Adams", first_name="Bo", state="did_not_start"),
    )
    by_name = RunnerQuery(edition_id=world.edition_id, sort="name")
    assert _bibs(db, by_name) == ["3", "2", "1"]
    by_state = RunnerQuery(edition_id=world.edition_id, sort="state")
    assert _bibs(db, by_state) == ["2", "1", "3"]


def test_search_by_exact_bib_or_folded_partial_name(db: Database) -> None:
    world = make_world(db)
    ev = world.event_ids[0]
    write(
        db,
        world,
        runner(12, ev, first_name="Zoë", last_name="Ødegård"),
        runner(120, ev, first_name="Łukasz", last_name="Müller"),
        runner(7, ev, first_name="Ann%", last_name="Lee"),
    )
    edition = world.edition_id
    assert _bibs(db, RunnerQuery(edition_id=edition, search="12")) == ["12"]
    assert _bibs(db, RunnerQuery(edition_id=edition, search=" ZOE odeg ")) == ["12"]
    assert _bibs(db, RunnerQuery(edition_id=edition, search="lukasz muller")) == ["120"]
    assert _bibs(db, RunnerQuery(edition_id=edition, search="%")) == ["7"]
    assert _bibs(db, RunnerQuery(edition_id=edition, search="_")) == []


def test_filters_and_paging(db: Database) -> None:
    world = make_world(db)
    first, second = world.event_ids
    write(
        db,
        world,
        *[runner(n, first, state="finished" if n % 3 == 0 else "during") for n in range(1, 8)],
        *[runner(n, second, state="did_not_finish") for n in range(8, 11)],
    )
    edition = world.edition_id
    assert _bibs(db, RunnerQuery(edition_id=edition, event_id=second)) == ["8", "9", "10"]
    assert _bibs(db, RunnerQuery(edition_id=edition, bucket="finished")) == ["3", "6"]
    assert _bibs(db, RunnerQuery(edition_id=edition, gender="male", event_id=first)) == [
        "2",
        "4",
        "6",
    ]
    with db.reading() as session:
        page = public_runners.list_runners(
            session, query=RunnerQuery(edition_id=edition, per_page=4, page=3)
        )
    assert [r.bib for r in page.runners] == ["9", "10"]
    assert (page.total, page.pages) == (10, 3)
    ids = _ids_of(db, edition, ["2", "9"])
    assert _bibs(db, RunnerQuery(edition_id=edition, ids=tuple(ids))) == ["2", "9"]
    assert _bibs(db, RunnerQuery(edition_id=edition, ids=())) == []


def _ids_of(db: Database, edition_id: int, bibs: list[str]) -> list[int]:
    with db.reading() as session:
        page = public_runners.list_runners(session, query=RunnerQuery(edition_id=edition_id))
    return [r.id for r in page.runners if r.bib in bibs]


def test_tally_counts_buckets_per_event_and_edition(db: Database) -> None:
    world = make_world(db)
    first, second = world.event_ids
    states = ["before", "during", "paused", "resumed", "after", "finished"]
    write(
        db,
        world,
        *[runner(n, first, state=state) for n, state in enumerate(states, start=1)],
        runner(11, second, state="did_not_finish"),
        runner(12, second, state="disqualified"),
        runner(13, second, state="did_not_start", gender="neutral"),
    )
    with db.reading() as session:
        tally = public_runners.tally(session, edition_id=world.edition_id)
    assert tally.counts[None] == {
        "entered": 9,
        "not_started": 1,
        "on_course": 3,
        "finished": 2,
        "dnf": 1,
        "dsq": 1,
        "dns": 1,
    }
    assert tally.counts[first]["entered"] == 6 and tally.counts[second]["on_course"] == 0
    assert tally.genders == ["female", "male", "neutral"]


def test_changes_after_a_position_are_the_runners_as_they_are_now(db: Database) -> None:
    world = make_world(db)
    ev = world.event_ids[0]
    write(db, world, runner(1, ev), runner(2, ev))
    with db.reading() as session:
        since = reading.journal_head(session)
    write(db, world, runner(1, ev, state="during"))
    write(db, world, runner(1, ev, state="finished"), runner(3, ev))
    gone = delete(db, world, "u2")
    with db.reading() as session:
        head = reading.journal_head(session)
        changes = public_runners.edition_changes(
            session, edition_id=world.edition_id, since=since, up_to=head
        )
    assert [(r.bib, r.state) for r in changes.runners] == [("1", "finished"), ("3", "before")]
    assert changes.removed == [gone]
    assert changes.up_to == head and not changes.reset and not changes.structure
    first = changes.runners[0]
    assert first.folded_name == "first1 last1" and set(first.keys) == {"bib", "name", "state"}


def test_too_many_changes_ask_for_a_reset(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    world = make_world(db)
    monkeypatch.setattr(public_runners, "MAX_DELTA_ENTRIES", 2)
    write(db, world, *[runner(n, world.event_ids[0]) for n in range(1, 4)])
    with db.reading() as session:
        head = reading.journal_head(session)
        changes = public_runners.edition_changes(
            session, edition_id=world.edition_id, since=0, up_to=head
        )
    assert changes.reset and changes.runners == []


def test_public_races_are_neither_drafts_nor_switched_off(db: Database) -> None:
    world = make_world(db)
    race_id = world.race.race_id
    with db.reading() as session:
        found = public_races.public_race_by_url_string(session, url_string="SEEDRACE")
        assert found is not None and found.path == "/Race/NJ/Moorestown/SeedRace"
        index = public_races.race_index(session)
        assert [entry.race.id for entry in index.upcoming] == [race_id]
    set_race(db, race_id, is_draft=True)
    with db.reading() as session:
        assert public_races.public_race(session, race_id=race_id) is None
        assert public_races.race_index(session).upcoming == []
    set_race(db, race_id, is_draft=False)
    with db.transaction() as session:
        assert public_races.set_public(session, race_id=race_id, public=False).changed
        again = public_races.set_public(session, race_id=race_id, public=False)
        assert not again.changed and not again.shown and again.path == found.path
    with db.reading() as session:
        assert public_races.public_race_of_edition(session, edition_id=world.edition_id) is None
        entries = session.execute(select(Change.type, Change.race_id)).all()
    assert entries == [("race.updated", race_id)]


def test_recent_races_are_listed_for_sixty_days(db: Database) -> None:
    world = make_world(db)
    with db.reading() as session:
        race = public_races.public_race(session, race_id=world.race.race_id)
        assert race is not None
        finish = race.editions[0].last_finish
        assert finish is not None
        soon_after = datetime.combine(finish.date(), datetime.min.time(), tzinfo=UTC) + timedelta(
            days=3
        )
        index = public_races.race_index(session, now=soon_after)
        assert [e.race.id for e in index.recent] == [race.id] and index.upcoming == []
        much_later = soon_after + timedelta(days=70)
        assert public_races.race_index(session, now=much_later).recent == []

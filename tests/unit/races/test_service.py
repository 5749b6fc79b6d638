"""Race services without HTTP: create, edit, get, list; typed errors carrying every problem."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from startline.db.engine import Database
from startline.domain.accounts import service as accounts
from startline.domain.races import create, edit, read
from startline.domain.races import errors as e
from startline.domain.races.inputs import Actor, CreateLimit, EventInput, RaceInput, RaceView

YEAR = datetime.now().year + 1


@pytest.fixture
def owner(db) -> Actor:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        user = accounts.create_user(session, email="o@example.com", password="owner-password")
        return Actor(user_id=user.id)


def _create(db: Database, **kwargs: Any) -> RaceView:
    with db.transaction() as session:
        return create.create_race(session, **kwargs)


def _edit(db: Database, **kwargs: Any) -> RaceView:
    with db.transaction() as session:
        return edit.edit_race(session, **kwargs)


def _get(db: Database, **kwargs: Any) -> RaceView:
    with db.reading() as session:
        return read.get_race(session, **kwargs)


def _list(db: Database, **kwargs: Any) -> list[RaceView]:
    with db.reading() as session:
        return read.list_races(session, **kwargs)


def _race(url: str = "Race1", **fields) -> RaceInput:  # type: ignore[no-untyped-def]
    values = {
        "name": "Race",
        "url_string": url,
        "city": "Moorestown",
        "state": "NJ",
        "events": [
            EventInput(
                name="5K",
                start_time=datetime(YEAR, 6, 7, 8, 30),
                event_type="running_race",
                distance=5.0,
            )
        ],
    }
    values.update(fields)
    return RaceInput(**values)


def test_create_and_get(db, owner):
    view = _create(db, actor=owner, race=_race())
    assert view.owner_id == owner.user_id
    assert view.timezone == "America/New_York" and view.country_code == "US"
    (edition,) = view.editions
    assert edition.events[0].distance_units == "K"
    assert _get(db, race_id=view.id).name == "Race"


def test_create_reports_every_problem(db, owner):
    race = _race(
        "bad url",
        name="",
        city=None,
        events=[EventInput(name="", start_time=datetime(YEAR, 3, 14, 2, 30))],
    )
    with pytest.raises(e.RaceRejected) as caught:
        _create(db, actor=owner, race=race)
    kinds = [type(p) for p in caught.value.problems]
    assert kinds == [
        e.NameRequired,
        e.UrlStringInvalid,
        e.AddressMissing,
        e.EventNameInvalid,
        e.StartTimeInvalid,
        e.EventTypeRequired,
    ]


def test_url_key_constraint_decides_a_race(db, owner, monkeypatch):
    _create(db, actor=owner, race=_race("Same"))
    monkeypatch.setattr(create, "url_string_taken", lambda session, url: False)
    with pytest.raises(e.RaceRejected) as caught:
        _create(db, actor=owner, race=_race("SAME"))
    assert [type(p) for p in caught.value.problems] == [e.UrlStringTaken]


def test_create_limit(db, owner):
    limit = CreateLimit(bucket="ip:1", limit=1, window_seconds=900)
    _create(db, actor=owner, race=_race("A"), create_limit=limit)
    with pytest.raises(e.CreateThrottled):
        _create(db, actor=owner, race=_race("B"), create_limit=limit)
    _create(
        db,
        actor=owner,
        race=_race("C"),
        create_limit=CreateLimit(bucket="ip:2", limit=1, window_seconds=900),
    )


def test_edit_needs_owner_and_existing_race(db, owner):
    view = _create(db, actor=owner, race=_race())
    with pytest.raises(e.NotRaceOwner):
        _edit(db, actor=Actor(user_id=owner.user_id + 100), race_id=view.id, race=_race())
    with pytest.raises(e.RaceNotFound):
        _edit(db, actor=owner, race_id=view.id + 100, race=_race())


def test_renewal_then_edition_edit(db, owner):
    first = _create(
        db,
        actor=owner,
        race=_race(
            events=[
                EventInput(name="5K", start_time=datetime(2020, 5, 1, 9), event_type="running_race")
            ]
        ),
        allow_past_event_creation=True,
    )
    renewed = _edit(db, actor=owner, race_id=first.id, race=_race())
    assert len(renewed.editions) == 2
    new_event = renewed.editions[1].events[0]
    edited = _edit(
        db,
        actor=owner,
        race_id=first.id,
        race=_race(
            events=[
                EventInput(
                    event_id=new_event.id,
                    name="5K+",
                    start_time=datetime(YEAR, 6, 7, 9),
                    event_type="hike",
                    age_calc_base_date=date(YEAR, 12, 31),
                )
            ]
        ),
    )
    assert [ev.name for ev in edited.editions[1].events] == ["5K+"]
    assert edited.editions[0].events[0].name == "5K"  # other editions untouched


def test_drafts_only_for_owner_and_list_filters(db, owner):
    draft = _create(db, actor=owner, race=_race("Draft", is_draft=True))
    _create(db, actor=owner, race=_race("Open", name="Open Trail Run", state="PA", city="Erie"))
    with pytest.raises(e.RaceNotFound):
        _get(db, race_id=draft.id)
    assert _get(db, race_id=draft.id, viewer=owner).is_draft
    assert [r.url_string for r in _list(db)] == ["Open"]
    assert len(_list(db, viewer=owner)) == 2
    by_name = _list(db, viewer=owner, filters=read.RaceFilter(name="trail"))
    assert [r.url_string for r in by_name] == ["Open"]
    by_state = _list(db, viewer=owner, filters=read.RaceFilter(state="nj"))
    assert [r.url_string for r in by_state] == ["Draft"]
    dated = read.RaceFilter(start_date=date(YEAR, 6, 7), end_date=date(YEAR, 6, 7))
    assert len(_list(db, viewer=owner, filters=dated)) == 2
    later = read.RaceFilter(start_date=date(YEAR, 6, 8))
    assert _list(db, viewer=owner, filters=later) == []
    assert len(_list(db, viewer=owner, page=2, per_page=1)) == 1


def test_participant_arriving_after_the_check_still_blocks_the_delete(db, owner, monkeypatch):
    from startline.domain.participants.models import Participant

    view = _create(
        db,
        actor=owner,
        race=_race(
            events=[
                EventInput(name="5K", start_time=datetime(YEAR, 6, 7, 8), event_type="hike"),
                EventInput(name="10K", start_time=datetime(YEAR, 6, 7, 9), event_type="hike"),
            ]
        ),
    )
    five, ten = view.editions[0].events
    with db.transaction() as session:
        session.add(
            Participant(
                edition_id=ten.edition_id,
                event_id=ten.id,
                unique_id="u",
                start_number="1",
                chip_code="c",
                first_name="a",
                last_name="b",
                date_of_birth=date(1990, 1, 1),
            )
        )
    # Simulate the race: the pre-check sees no participants, the database still refuses.
    monkeypatch.setattr(edit, "_check_edition_edit", lambda *a, **k: None)
    with pytest.raises(e.RaceRejected) as caught:
        _edit(
            db,
            actor=owner,
            race_id=view.id,
            race=_race(
                events=[
                    EventInput(
                        event_id=five.id,
                        name="5K",
                        start_time=datetime(YEAR, 6, 7, 8),
                        event_type="hike",
                    )
                ]
            ),
        )
    assert [type(p) for p in caught.value.problems] == [e.EventHasParticipants]
    assert len(_get(db, race_id=view.id).editions[0].events) == 2

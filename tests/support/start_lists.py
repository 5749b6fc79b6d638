"""A race with two editions and a timer, another race, and runners written through the
domain: the world the start-list tests (domain and RunSignup wire) read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import update

from startline.db.engine import Database
from startline.domain.accounts.models import TimerMember, User
from startline.domain.accounts.service import create_timer
from startline.domain.participants.models import Participant
from startline.domain.participants.service import RunnerWrite, write_runners
from startline.domain.participants.vocabulary import Origin
from startline.domain.races.models import Edition, Event, Race


@dataclass(frozen=True)
class StartWorld:
    owner_id: int
    timer_id: int
    race_id: int  # owned by owner_id, timed by timer_id
    edition_1: int
    edition_2: int
    event_10k: int  # edition 1, starts 2030-05-01 09:00, no age date
    event_5k: int  # edition 1, age calculated on 2030-12-31
    event_next: int  # edition 2 (next year)
    other_race_id: int  # someone else's race
    other_event: int


def _user(session: Any, email: str, *, is_admin: bool = False) -> int:
    # Users made directly: argon2 hashing in create_user would dominate the tests.
    user = User(email=email, password_hash="-", is_admin=is_admin)
    session.add(user)
    session.flush()
    return user.id


def _race(session: Any, name: str, owner_id: int, timer_id: int | None, draft: bool) -> Race:
    race = Race(
        name=name,
        url_string=name.replace(" ", "-"),
        url_key=name.replace(" ", "-").lower(),
        city="Moorestown",
        state="NJ",
        owner_id=owner_id,
        timer_id=timer_id,
        is_draft=draft,
    )
    session.add(race)
    session.flush()
    return race


def _event(
    session: Any, edition_id: int, name: str, start: datetime, age_date: date | None = None
) -> int:
    event = Event(
        edition_id=edition_id,
        name=name,
        start_time=start,
        event_type="running_race",
        age_calc_base_date=age_date,
    )
    session.add(event)
    session.flush()
    return event.id


def build_start_world(
    db: Database,
    *,
    owner_id: int | None = None,
    member_ids: tuple[int, ...] = (),
    draft: bool = False,
) -> StartWorld:
    """The world; the owner is made unless given; `member_ids` join the race's timer."""
    with db.transaction() as s:
        if owner_id is None:
            owner_id = _user(s, "start-owner@example.com")
        stranger = _user(s, "start-stranger@example.com")
        timer = create_timer(s, name="Chrono Ltd")
        for member in member_ids:
            s.add(TimerMember(timer_id=timer.id, user_id=member))
        race = _race(s, "City Run", owner_id, timer.id, draft)
        edition_1 = Edition(race_id=race.id)
        edition_2 = Edition(race_id=race.id)
        s.add_all([edition_1, edition_2])
        s.flush()
        ten = _event(s, edition_1.id, "10K", datetime(2030, 5, 1, 9, 0))
        five = _event(s, edition_1.id, "5K", datetime(2030, 5, 1, 10, 0), date(2030, 12, 31))
        following = _event(s, edition_2.id, "10K", datetime(2031, 5, 1, 9, 0))
        other = _race(s, "Lake Trail", stranger, None, False)
        other_edition = Edition(race_id=other.id)
        s.add(other_edition)
        s.flush()
        other_event = _event(s, other_edition.id, "5K", datetime(2030, 6, 1, 8, 0))
        return StartWorld(
            owner_id=owner_id,
            timer_id=timer.id,
            race_id=race.id,
            edition_1=edition_1.id,
            edition_2=edition_2.id,
            event_10k=ten,
            event_5k=five,
            event_next=following,
            other_race_id=other.id,
            other_event=other_event,
        )


def runner(
    event_id: int,
    last_name: str,
    first_name: str = "Kris",
    *,
    bib: str | None = None,
    chip: str | None = None,
    born: date | None = None,
    gender: str | None = None,
    country: str | None = None,
    team: str | None = None,
    unique_id: str | None = None,
) -> RunnerWrite:
    values: dict[str, Any] = {
        "event_id": event_id,
        "first_name": first_name,
        "last_name": last_name,
    }
    for name, value in (
        ("start_number", bib),
        ("chip_code", chip),
        ("date_of_birth", born),
        ("gender", gender),
        ("country_code", country),
        ("team_name", team),
    ):
        if value is not None:
            values[name] = value
    return RunnerWrite(values=values, unique_id=unique_id)


def add_runners(
    db: Database, edition_id: int, writes: list[RunnerWrite], origin: Origin = "tracx"
) -> list[int]:
    """Write runners (all or nothing); their ids in order."""
    with db.transaction() as s:
        report = write_runners(s, edition_id=edition_id, writes=writes, origin=origin)
    assert report.written, report.problems
    return [i for i in report.participant_ids if i is not None]


def set_times(db: Database, participant_ids: int | Sequence[int], **stamps: datetime) -> None:
    """Set runners' created_at / updated_at (aware UTC) as if written then."""
    ids = [participant_ids] if isinstance(participant_ids, int) else list(participant_ids)
    with db.transaction() as s:
        s.execute(update(Participant).where(Participant.id.in_(ids)).values(**stamps))

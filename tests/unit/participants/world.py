"""A small world of races, editions and events for participant tests, built with the ORM."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from startline.db.engine import Database
from startline.domain.accounts.models import User
from startline.domain.accounts.service import create_timer
from startline.domain.participants.service import ParticipantChange
from startline.domain.races.models import Edition, Event, Race


@dataclass
class World:
    owner_email: str
    admin_email: str
    timer_id: int
    race_a: int  # timer's race
    race_b: int  # no timer
    edition_a1: int
    edition_a2: int
    edition_b1: int
    event_a1_10k: int  # id 1 (the seed's race_id)
    event_a1_half: int
    event_a2_10k: int
    event_b1_5k: int


def add_race(session: Session, *, name: str, owner_id: int, timer_id: int | None) -> Race:
    race = Race(
        name=name,
        url_string=name.replace(" ", "-"),
        url_key=name.replace(" ", "-").lower(),
        owner_id=owner_id,
        timer_id=timer_id,
    )
    session.add(race)
    session.flush()
    return race


def add_edition(session: Session, race_id: int) -> Edition:
    edition = Edition(race_id=race_id)
    session.add(edition)
    session.flush()
    return edition


def add_event(
    session: Session, edition_id: int, name: str, start: datetime, distance: float | None = None
) -> Event:
    event = Event(
        edition_id=edition_id,
        name=name,
        start_time=start,
        event_type="running_race",
        distance=distance,
        distance_units="K",
    )
    session.add(event)
    session.flush()
    return event


def build_world(db: Database) -> World:
    with db.transaction() as s:
        # Users made directly: argon2 hashing in create_user would dominate every test.
        owner = User(email="owner@example.com", password_hash="-")
        s.add_all([owner, User(email="admin@example.com", password_hash="-", is_admin=True)])
        s.flush()
        timer = create_timer(s, name="Chrono Ltd")
        race_a = add_race(s, name="City Run", owner_id=owner.id, timer_id=timer.id)
        race_b = add_race(s, name="Lake Trail", owner_id=owner.id, timer_id=None)
        a1 = add_edition(s, race_a.id)
        a1_10k = add_event(s, a1.id, "10K", datetime(2027, 5, 1, 9, 0), 10.0)
        a1_half = add_event(s, a1.id, "Half marathon", datetime(2027, 5, 2, 10, 30), 21.1)
        a2 = add_edition(s, race_a.id)
        a2_10k = add_event(s, a2.id, "10K", datetime(2028, 5, 1, 9, 0), 10.0)
        b1 = add_edition(s, race_b.id)
        b1_5k = add_event(s, b1.id, "5K", datetime(2027, 6, 1, 8, 0), 5.0)
        return World(
            owner_email="owner@example.com",
            admin_email="admin@example.com",
            timer_id=timer.id,
            race_a=race_a.id,
            race_b=race_b.id,
            edition_a1=a1.id,
            edition_a2=a2.id,
            edition_b1=b1.id,
            event_a1_10k=a1_10k.id,
            event_a1_half=a1_half.id,
            event_a2_10k=a2_10k.id,
            event_b1_5k=b1_5k.id,
        )


def change(
    event_id: int,
    unique_id: str,
    *,
    bib: str | None = None,
    chip: str | None = None,
    **optional: Any,
) -> ParticipantChange:
    return ParticipantChange(
        event_id=event_id,
        unique_id=unique_id,
        first_name="Kris",
        last_name="Kuiper",
        date_of_birth=date(2001, 1, 1),
        start_number=bib if bib is not None else unique_id,
        chip_code=chip if chip is not None else unique_id.rjust(7, "0"),
        optional=optional,
    )

"""Small factories for tests that need a race with events and credentials in the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from startline.db.engine import Database
from startline.domain.accounts import service as accounts
from startline.domain.races.models import Edition, Event, Race


@dataclass(frozen=True)
class SeededRace:
    race_id: int
    edition_id: int
    event_ids: list[int]
    owner_email: str


def seed_race(
    db: Database,
    *,
    owner_email: str = "owner@example.com",
    url_string: str = "SeedRace",
    events: int = 2,
    timer_id: int | None = None,
) -> SeededRace:
    start = datetime.now().replace(microsecond=0, second=0) + timedelta(days=30)
    with db.transaction() as session:
        owner = accounts.find_user(session, email=owner_email) or accounts.create_user(
            session, email=owner_email, password="owner-password", is_admin=True
        )
        session.flush()
        race = Race(
            name=f"Race {url_string}",
            url_string=url_string,
            url_key=url_string.lower(),
            city="Moorestown",
            state="NJ",
            country_code="US",
            owner_id=owner.id,
            timer_id=timer_id,
        )
        edition = Edition(race=race)
        for index in range(events):
            edition.events.append(
                Event(
                    name=f"Event {index}",
                    start_time=start + timedelta(hours=index),
                    event_type="running_race",
                )
            )
        session.add(race)
        session.flush()
        return SeededRace(race.id, edition.id, [e.id for e in edition.events], owner_email)


def connect_token(db: Database, *, owner_email: str, **scope: object) -> str:
    """An all-permissions connect token (`<id>|<secret>`); scope defaults to every race."""
    if not scope:
        scope = {"all_races": True}
    with db.transaction() as session:
        return accounts.create_connect_token(
            session, owner_email=owner_email, permissions=accounts.PERMISSIONS, **scope
        ).token

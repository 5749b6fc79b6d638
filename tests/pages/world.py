"""A public race with runners for the page tests, written through the domain's writers (so
every runner has its search text and journal entries like any door writes them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import update

from startline.db.engine import Database
from startline.domain.participants.service import RunnerWrite, delete_participant, write_runners
from startline.domain.races.models import Race
from tests.support.world import SeededRace, connect_token, seed_race

PATH = "/Race/NJ/Moorestown/SeedRace"

# Private values that must never appear on a public page or in its JSON.
SECRET_BIRTH_DATE = date(1987, 6, 5)
SECRET_CHIP = "CHIPX99"


@dataclass(frozen=True)
class PageWorld:
    race: SeededRace
    token: str  # a Tracx connect token of the race's owner

    @property
    def edition_id(self) -> int:
        return self.race.edition_id

    @property
    def event_ids(self) -> list[int]:
        return self.race.event_ids


def make_world(db: Database, *, url_string: str = "SeedRace", events: int = 2) -> PageWorld:
    race = seed_race(db, url_string=url_string, events=events)
    return PageWorld(race=race, token=connect_token(db, owner_email=race.owner_email))


def runner(number: int, event_id: int, **values: Any) -> RunnerWrite:
    """Runner `number`: bib = number, names from the number, private fields set."""
    unique_id = values.pop("unique_id", f"u{number}")
    fields: dict[str, Any] = {
        "event_id": event_id,
        "start_number": str(number),
        "chip_code": f"C{number:06d}",
        "first_name": f"First{number}",
        "last_name": f"Last{number}",
        "date_of_birth": SECRET_BIRTH_DATE,
        "country_code": "nl",
        "team_name": None,
        "gender": "female" if number % 2 else "male",
        "state": "before",
    }
    fields.update(values)
    return RunnerWrite(values=fields, unique_id=unique_id)


def write(db: Database, world: PageWorld, *writes: RunnerWrite) -> list[int]:
    with db.transaction() as session:
        report = write_runners(
            session, edition_id=world.edition_id, writes=list(writes), origin="csv"
        )
    assert report.written and not report.problems, report.problems
    return [pid for pid in report.participant_ids if pid is not None]


def delete(db: Database, world: PageWorld, unique_id: str) -> int:
    with db.transaction() as session:
        return delete_participant(session, edition_id=world.edition_id, unique_id=unique_id)


def set_race(db: Database, race_id: int, **values: Any) -> None:
    with db.transaction() as session:
        session.execute(update(Race).where(Race.id == race_id).values(**values))

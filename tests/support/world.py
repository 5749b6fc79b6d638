"""Building test worlds: the one module tests make races, runners, accounts and credentials
with. Pick the smallest world that fits:

- `add_user` / `add_race` / `add_edition` / `add_event`: single rows, written with the ORM in
  the caller's transaction.
- `build_races_world` -> RacesWorld: two races (one with a timer), three editions, four events
  and two users, no credentials (scope and participant tests add the tokens they need).
- `build_start_world` -> StartWorld: a timed race with two editions, another user's race, and
  `runner` / `add_runners` / `set_times` to fill them (start lists, RunSignup participants).
- `seed_race` -> SeededRace: one future race with N events and an admin owner who can log in.
- `connect_token`: an all-permissions Tracx connect token (scope: every race unless given).
- `add_credentials` -> Credentials: a RunSignup API key, a partner signing identity and a
  connect token for one owner.
- `build_client_world` -> ClientWorld: a seeded race with one runner stored through the Tracx
  endpoint, and every credential, bound to a test client (the hostile and fuzz suites).
- `build_storm_world` -> StormWorld: a race created over the wire on a running server, and
  every credential (the concurrency storm).
- `change`, `SEED_PARTICIPANT`, `SEED_CURL_BODY`: participants as the domain and as Tracx see
  them.

Users made for tests that never log in skip argon2 (`password_hash="-"`): hashing would
dominate every test.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.orm import Session

from startline.db.engine import Database
from startline.dialects.runsignup.signature import sign
from startline.domain.accounts import service as accounts
from startline.domain.accounts.models import TimerMember, User
from startline.domain.accounts.secrets import SecretBox
from startline.domain.participants.models import Participant
from startline.domain.participants.service import ParticipantChange, RunnerWrite, write_runners
from startline.domain.participants.vocabulary import Origin
from startline.domain.races.models import Edition, Event, Race

OWNER_EMAIL = "owner@example.com"
ADMIN_EMAIL = "admin@example.com"
OWNER_PASSWORD = "owner-password"

# --- Single rows ------------------------------------------------------------------------------


def add_user(session: Session, email: str, *, is_admin: bool = False) -> int:
    """A user who never logs in (no argon2 hash); their id."""
    user = User(email=email, password_hash="-", is_admin=is_admin)
    session.add(user)
    session.flush()
    return user.id


def add_race(
    session: Session,
    *,
    name: str,
    owner_id: int,
    timer_id: int | None,
    city: str | None = None,
    state: str | None = None,
    draft: bool = False,
) -> Race:
    race = Race(
        name=name,
        url_string=name.replace(" ", "-"),
        url_key=name.replace(" ", "-").lower(),
        city=city,
        state=state,
        owner_id=owner_id,
        timer_id=timer_id,
        is_draft=draft,
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
    session: Session,
    edition_id: int,
    name: str,
    start: datetime,
    distance: float | None = None,
    *,
    age_date: date | None = None,
) -> Event:
    """A running race; a distance is in kilometres; `age_date` is its age calculation date."""
    event = Event(
        edition_id=edition_id,
        name=name,
        start_time=start,
        event_type="running_race",
        distance=distance,
        distance_units=None if distance is None else "K",
        age_calc_base_date=age_date,
    )
    session.add(event)
    session.flush()
    return event


# --- Two races, a timer, three editions -------------------------------------------------------


@dataclass
class RacesWorld:
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


def build_races_world(db: Database) -> RacesWorld:
    with db.transaction() as s:
        owner_id = add_user(s, OWNER_EMAIL)
        add_user(s, ADMIN_EMAIL, is_admin=True)
        timer = accounts.create_timer(s, name="Chrono Ltd")
        race_a = add_race(s, name="City Run", owner_id=owner_id, timer_id=timer.id)
        race_b = add_race(s, name="Lake Trail", owner_id=owner_id, timer_id=None)
        a1 = add_edition(s, race_a.id)
        a1_10k = add_event(s, a1.id, "10K", datetime(2027, 5, 1, 9, 0), 10.0)
        a1_half = add_event(s, a1.id, "Half marathon", datetime(2027, 5, 2, 10, 30), 21.1)
        a2 = add_edition(s, race_a.id)
        a2_10k = add_event(s, a2.id, "10K", datetime(2028, 5, 1, 9, 0), 10.0)
        b1 = add_edition(s, race_b.id)
        b1_5k = add_event(s, b1.id, "5K", datetime(2027, 6, 1, 8, 0), 5.0)
        return RacesWorld(
            owner_email=OWNER_EMAIL,
            admin_email=ADMIN_EMAIL,
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


# --- A timed race with two editions, and runners (start lists) ---------------------------------


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
            owner_id = add_user(s, "start-owner@example.com")
        stranger = add_user(s, "start-stranger@example.com")
        timer = accounts.create_timer(s, name="Chrono Ltd")
        for member in member_ids:
            s.add(TimerMember(timer_id=timer.id, user_id=member))
        race = add_race(
            s,
            name="City Run",
            owner_id=owner_id,
            timer_id=timer.id,
            city="Moorestown",
            state="NJ",
            draft=draft,
        )
        edition_1 = add_edition(s, race.id)
        edition_2 = add_edition(s, race.id)
        ten = add_event(s, edition_1.id, "10K", datetime(2030, 5, 1, 9, 0))
        five = add_event(
            s, edition_1.id, "5K", datetime(2030, 5, 1, 10, 0), age_date=date(2030, 12, 31)
        )
        following = add_event(s, edition_2.id, "10K", datetime(2031, 5, 1, 9, 0))
        other = add_race(
            s, name="Lake Trail", owner_id=stranger, timer_id=None, city="Moorestown", state="NJ"
        )
        other_edition = add_edition(s, other.id)
        other_event = add_event(s, other_edition.id, "5K", datetime(2030, 6, 1, 8, 0))
        return StartWorld(
            owner_id=owner_id,
            timer_id=timer.id,
            race_id=race.id,
            edition_1=edition_1.id,
            edition_2=edition_2.id,
            event_10k=ten.id,
            event_5k=five.id,
            event_next=following.id,
            other_race_id=other.id,
            other_event=other_event.id,
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
    """A runner write with only the given values set."""
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


# --- One seeded race and its owner ------------------------------------------------------------


@dataclass(frozen=True)
class SeededRace:
    race_id: int
    edition_id: int
    event_ids: list[int]
    owner_email: str


def seed_race(
    db: Database,
    *,
    owner_email: str = OWNER_EMAIL,
    url_string: str = "SeedRace",
    events: int = 2,
    timer_id: int | None = None,
) -> SeededRace:
    """A race in Moorestown, NJ, 30 days ahead, with `events` events an hour apart; the owner
    is created (an admin, password OWNER_PASSWORD) unless they exist."""
    start = datetime.now().replace(microsecond=0, second=0) + timedelta(days=30)
    with db.transaction() as session:
        owner = accounts.find_user(session, email=owner_email) or accounts.create_user(
            session, email=owner_email, password=OWNER_PASSWORD, is_admin=True
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


# --- Credentials ------------------------------------------------------------------------------


def connect_token(db: Database, *, owner_email: str, **scope: object) -> str:
    """An all-permissions connect token (`<id>|<secret>`); scope defaults to every race."""
    if not scope:
        scope = {"all_races": True}
    with db.transaction() as session:
        return accounts.create_connect_token(
            session, owner_email=owner_email, permissions=accounts.PERMISSIONS, **scope
        ).token


@dataclass
class Credentials:
    """Every way one owner's clients authenticate: RunSignup key and secret, a partner's
    signing identity for race POSTs, and an all-races Tracx connect token."""

    api_key: str
    api_secret: str
    signing_id: int
    signing_secret: str
    token: str

    def signature(self) -> str:
        """A fresh `protected_api_signature` (its own nonce)."""
        return sign(self.signing_id, self.signing_secret, int(time.time()), secrets.token_hex(4))


def add_credentials(
    db: Database, *, owner_email: str, box: SecretBox, partner: str = "Partner"
) -> Credentials:
    with db.transaction() as session:
        key = accounts.create_api_key(session, email=owner_email)
        signing = accounts.create_partner(session, name=partner, box=box)
    return Credentials(
        api_key=key.key,
        api_secret=key.secret,
        signing_id=signing.signing_id,
        signing_secret=signing.signing_secret,
        token=connect_token(db, owner_email=owner_email),
    )


# --- Participants -----------------------------------------------------------------------------

# The Tracx seed's curl `-d` body, exactly as the documentation prints it.
SEED_CURL_BODY = """{
"unique_id": "1",
"first_name": "Kris",
"last_name": "Kuiper",
"country_code": "nl",
"team_name": null,
"date_of_birth": "2001-01-01",
"start_number": "1",
"chip_code": "0000001",
"gender": "male",
"state": "before",
"race_id": 1
}"""

# The same participant as decoded data (read-only: copy it to vary a field).
SEED_PARTICIPANT: MappingProxyType[str, Any] = MappingProxyType(
    {
        "unique_id": "1",
        "first_name": "Kris",
        "last_name": "Kuiper",
        "country_code": "nl",
        "team_name": None,
        "date_of_birth": "2001-01-01",
        "start_number": "1",
        "chip_code": "0000001",
        "gender": "male",
        "state": "before",
        "race_id": 1,
    }
)


def change(
    event_id: int,
    unique_id: str,
    *,
    bib: str | None = None,
    chip: str | None = None,
    **optional: Any,
) -> ParticipantChange:
    """A domain write of runner `unique_id` (bib = unique_id, chip = it padded to 7)."""
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


# --- A seeded race behind a test client (hostile, fuzz) ---------------------------------------


@dataclass
class ClientWorld:
    client: Any
    db: Database
    race: SeededRace
    credentials: Credentials

    @property
    def api_key(self) -> str:
        return self.credentials.api_key

    @property
    def api_secret(self) -> str:
        return self.credentials.api_secret

    @property
    def token(self) -> str:
        return self.credentials.token

    def signature(self) -> str:
        return self.credentials.signature()

    def rsu_query(self, fmt: str = "json", *, signed: bool = True) -> dict[str, str]:
        query = {"api_key": self.api_key, "api_secret": self.api_secret, "format": fmt}
        if signed:
            query["protected_api_signature"] = self.signature()
        return query

    def participant(self, **overrides: Any) -> dict[str, Any]:
        """The stored runner's Tracx body (runner-1 in the first event), with `overrides`."""
        body = {
            "unique_id": "runner-1",
            "first_name": "Kris",
            "last_name": "Kuiper",
            "country_code": "nl",
            "date_of_birth": "2001-01-01",
            "start_number": "1",
            "chip_code": "0000001",
            "gender": "male",
            "state": "before",
            "race_id": self.race.event_ids[0],
        }
        body.update(overrides)
        return body


def build_client_world(
    client: Any, db: Database, box: SecretBox, *, owner_email: str, password: str
) -> ClientWorld:
    with db.transaction() as session:
        accounts.create_user(
            session,
            email=owner_email,
            password=password,
            first_name="O",
            last_name="W",
            is_admin=True,
        )
    race = seed_race(db, owner_email=owner_email)
    built = ClientWorld(client, db, race, add_credentials(db, owner_email=owner_email, box=box))
    stored = client.post(
        "/v1/connect/participant", json=built.participant(), headers={"Authorization": built.token}
    )
    assert stored.status_code == 200, stored.text
    return built


# --- A race created over the wire on a running server (the storm) -----------------------------


@dataclass
class StormWorld:
    base_url: str
    credentials: Credentials
    race_id: int = 0
    edition_id: int = 0
    event_ids: list[int] = field(default_factory=list)

    def signed_params(self) -> dict[str, str]:
        """Credentials and a fresh signature (its own nonce) for one race POST."""
        return {
            "format": "json",
            "api_key": self.credentials.api_key,
            "api_secret": self.credentials.api_secret,
            "protected_api_signature": self.credentials.signature(),
        }

    def tracx_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credentials.token}", "Accept": "application/json"}


def build_storm_world(
    db: Database, base_url: str, box: SecretBox, *, owner_email: str, race_doc: dict[str, Any]
) -> StormWorld:
    """An admin owner with every credential, and `race_doc` POSTed to /rest/race."""
    with db.transaction() as session:
        accounts.create_user(session, email=owner_email, password=OWNER_PASSWORD, is_admin=True)
    world = StormWorld(
        base_url, add_credentials(db, owner_email=owner_email, box=box, partner="Storm")
    )
    response = httpx.post(
        f"{base_url}/rest/race",
        params=world.signed_params(),
        timeout=30,
        files={"request_format": (None, "json"), "request": (None, json.dumps(race_doc))},
    )
    assert "race" in response.json(), response.text
    race = response.json()["race"]
    world.race_id = race["race_id"]
    world.event_ids = [event["event_id"] for event in race["events"]]
    world.edition_id = race["events"][0]["race_event_days_id"]
    return world

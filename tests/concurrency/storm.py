"""The storm's bookkeeping: its sizes, the runners' keys, and a log of every write with when it
was sent and answered, to judge lost updates afterwards. Its world (an owner with every
credential and a race created over the wire) is tests/support/world.py's StormWorld."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from startline.db.engine import Database
from startline.domain.accounts.secrets import SecretBox
from tests.conftest import TEST_SECRET_KEY
from tests.contract.runsignup.conftest import future, race_doc
from tests.support.world import StormWorld, build_storm_world

# STARTLINE_SOAK=1: a long local soak (ten times the operations per client, five-minute cap).
SOAK = os.environ.get("STARTLINE_SOAK") == "1"
OPS_PER_CLIENT = 600 if SOAK else 60
DEADLINE_SECONDS = 300.0 if SOAK else 20.0

RUNNERS = 16  # pairs (0, 1), (2, 3), ... may swap chips and bibs
OWNER = "storm-owner@example.com"


def chip(index: int) -> str:
    return f"C{index:06d}"


def bib(index: int) -> str:
    return str(100 + index)


def uid(index: int) -> str:
    return f"runner-{index}"


def partner_of(index: int) -> int:
    return index ^ 1


def make_world(db: Database, base_url: str) -> StormWorld:
    """The storm's owner and credentials, and StormRace with three events, over the wire."""
    events = [
        {
            "name": f"E{i}",
            "start_time": future(f"06-07 {8 + i:02d}:00:00"),
            "event_type": "running_race",
        }
        for i in range(3)
    ]
    return build_storm_world(
        db,
        base_url,
        SecretBox(TEST_SECRET_KEY),
        owner_email=OWNER,
        race_doc=race_doc("StormRace", events=events),
    )


def participant(
    world: StormWorld, index: int, *, event: int, chip_of: int, bib_of: int, tag: str
) -> dict[str, Any]:
    return {
        "unique_id": uid(index),
        "first_name": tag,
        "last_name": "Storm",
        "date_of_birth": "1990-01-01",
        "start_number": bib(bib_of),
        "chip_code": chip(chip_of),
        "gender": "female",
        "race_id": world.event_ids[event],
    }


@dataclass(frozen=True)
class Write:
    """One request that writes: the values it sent per key, its timing and its answer."""

    client: str
    sent: float
    answered: float
    status: int
    values: dict[str, tuple[Any, ...]]


@dataclass
class Log:
    writes: list[Write] = field(default_factory=list)
    bodies: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, write: Write, body: str) -> None:
        with self._lock:
            self.writes.append(write)
            self.bodies.append(body)

    def read(self, body: str) -> None:
        with self._lock:
            self.bodies.append(body)

    def flag(self, problem: str) -> None:
        with self._lock:
            self.unexpected.append(problem)


def lost_updates(writes: Iterable[Write], final: dict[str, tuple[Any, ...]]) -> list[str]:
    """Each key's final value must come from an acknowledged write that could have been the
    last to commit: none acknowledged before another acknowledged write of that key began."""
    acked: dict[str, list[Write]] = {}
    for write in writes:
        for key in write.values:
            acked.setdefault(key, []).append(write)
    problems = []
    for key, candidates in acked.items():
        value = final.get(key)
        sources = [w for w in candidates if w.values[key] == value]
        if not sources:
            problems.append(f"{key}: final {value} was never acknowledged")
            continue
        source = sources[0]
        later = [w for w in candidates if w is not source and w.sent > source.answered]
        if later:
            problems.append(
                f"{key}: {later[0].client}'s acknowledged {later[0].values[key]} "
                f"lost to the earlier {source.client}'s {value}"
            )
    return problems

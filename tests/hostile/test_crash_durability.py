"""Kill the real server with SIGKILL in the middle of a stream of upserts, restart it, and
check that every write that got a 200 is there (and no update that was acknowledged is lost)."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from sqlalchemy import select

from startline.domain.participants.models import Participant
from tests.support.server import running_server
from tests.support.world import connect_token, seed_race

STATES = ("before", "during", "paused", "resumed", "after", "finished")


def participant(number: int, event_id: int, state: str) -> dict:
    return {
        "unique_id": f"runner-{number}",
        "first_name": "Kris",
        "last_name": f"Kuiper {number}",
        "country_code": "nl",
        "date_of_birth": "2001-01-01",
        "start_number": str(number),
        "chip_code": f"{number:07d}",
        "gender": "male",
        "state": state,
        "race_id": event_id,
    }


@pytest.mark.slow
def test_acknowledged_writes_survive_sigkill(settings, db, tmp_path):
    race = seed_race(db)
    token = connect_token(db, owner_email=race.owner_email)
    acknowledged: dict[str, str] = {}  # unique_id -> last state answered 200
    in_flight: dict[str, str] = {}  # unique_id -> state sent, no answer (yet)
    statuses: list[int] = []
    stop = threading.Event()

    def stream(base_url: str) -> None:
        with httpx.Client(base_url=base_url, headers={"Authorization": token}) as http:
            number = 0
            while not stop.is_set() and number < 5000:
                # New runners, and updates of earlier runners' state.
                runner = number // 2 if number % 2 else number
                state = STATES[number % len(STATES)]
                body = participant(runner, race.event_ids[runner % 2], state)
                in_flight[body["unique_id"]] = state
                try:
                    response = http.post("/v1/connect/participant", json=body, timeout=10)
                except httpx.TransportError:
                    return  # the server died under us
                statuses.append(response.status_code)
                if response.status_code == 200:
                    acknowledged[body["unique_id"]] = state
                    in_flight.pop(body["unique_id"], None)
                number += 1

    with running_server(settings, tmp_path / "data") as server:
        writer = threading.Thread(target=stream, args=(server.base_url,))
        writer.start()
        deadline = time.monotonic() + 30
        while len(acknowledged) < 150 and time.monotonic() < deadline and writer.is_alive():
            time.sleep(0.01)
        server.kill()
        stop.set()
        writer.join(timeout=30)

    assert len(acknowledged) >= 150, f"too few writes before the kill: {statuses[-5:]}"
    assert set(statuses) == {200}

    with running_server(settings, tmp_path / "data") as server:
        assert httpx.get(f"{server.base_url}/healthz").status_code == 200
    with db.reading() as session:
        stored = {
            row.unique_id: row.state
            for row in session.execute(
                select(Participant.unique_id, Participant.state).where(
                    Participant.edition_id == race.edition_id
                )
            )
        }
    for unique_id, state in acknowledged.items():
        assert unique_id in stored, f"acknowledged {unique_id} lost"
        # A later write may have been applied without its answer reaching us.
        assert stored[unique_id] in {state, in_flight.get(unique_id)}

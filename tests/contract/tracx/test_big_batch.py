"""A 50,000-runner start list is accepted in one request and committed in one transaction."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import event, func, select, text

from startline.domain.participants.models import Participant

ITEMS = 50_000


def _start_list(race_id: int, count: int, chip_offset: int = 0) -> bytes:
    items = [
        {
            "unique_id": f"runner-{i}",
            "first_name": "Kris",
            "last_name": f"Kuiper {i}",
            "country_code": "nl",
            "team_name": None,
            "date_of_birth": "2001-01-01",
            "start_number": str(i + 1),
            "chip_code": f"{(i + chip_offset) % count:07d}",
            "gender": "male",
            "state": "before",
            "race_id": race_id,
        }
        for i in range(count)
    ]
    return json.dumps(items).encode()


class WriteTransactions:
    """How many transactions wrote the participants rows of the last request. PostgreSQL
    says it itself (a row's xmin is the transaction that wrote its version; the batch goes
    to the driver directly, past SQLAlchemy's events); on SQLite the statements are counted
    per transaction as SQLAlchemy sends them."""

    def __init__(self, db) -> None:
        self.db = db
        self.seen: set[int] = set()
        self._next = 0
        event.listen(db.engine, "begin", self._begin)
        event.listen(db.engine, "before_cursor_execute", self._statement)

    def _begin(self, connection) -> None:
        self._next += 1
        connection.info["tx"] = self._next

    def _statement(self, connection, _cursor, statement, *_args) -> None:
        written = ("INSERT INTO PARTICIPANTS", "UPDATE PARTICIPANTS")
        if statement.lstrip().upper().startswith(written):
            self.seen.add(connection.info.get("tx", -1))

    def count(self) -> int:
        found = len(self.seen)
        self.seen.clear()
        if not self.db.is_sqlite:
            with self.db.reading() as s:
                found = s.execute(
                    text("SELECT count(DISTINCT xmin::text) FROM participants")
                ).scalar_one()
        return found


@pytest.mark.slow
def test_fifty_thousand_items_in_one_request_and_one_transaction(client, db, world, tokens):
    writes = WriteTransactions(db)
    url = f"/v1/connect/events/{world.edition_a1}/participants"
    headers = {"Authorization": tokens.races, "Content-Type": "application/json"}

    body = _start_list(world.event_a1_10k, ITEMS)
    started = time.perf_counter()
    response = client.post(url, content=body, headers=headers)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text[:500]
    assert response.json() == {"data": {"created": ITEMS, "updated": 0}}
    print(f"\n50,000-item insert batch: {elapsed:.2f} s ({ITEMS / elapsed:,.0f} items/s)")
    assert writes.count() == 1

    # Every runner gets the next runner's chip: one big rotation, all in one batch.
    rotated = _start_list(world.event_a1_half, ITEMS, chip_offset=1)
    started = time.perf_counter()
    response = client.post(url, content=rotated, headers=headers)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text[:500]
    assert response.json() == {"data": {"created": 0, "updated": ITEMS}}
    print(f"50,000-item chip rotation batch: {elapsed:.2f} s")
    assert writes.count() == 1
    with db.reading() as s:
        assert s.execute(select(func.count()).select_from(Participant)).scalar_one() == ITEMS
        row = s.execute(select(Participant).where(Participant.unique_id == "runner-0")).scalar_one()
        assert (row.chip_code, row.event_id) == ("0000001", world.event_a1_half)

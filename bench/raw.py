"""The raw baseline: the batch's rows upserted by a plain DB-API `executemany` (sqlite3 or
psycopg) into the same database, on a connection set up exactly as the server's (same
pragmas), in one transaction. Also used to seed runners for the update scenario."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime
from typing import Any

COLUMNS = (
    "edition_id",
    "event_id",
    "unique_id",
    "start_number",
    "chip_code",
    "first_name",
    "last_name",
    "country_code",
    "team_name",
    "date_of_birth",
    "gender",
    "state",
    "created_at",
    "updated_at",
)
UPDATED = [c for c in COLUMNS if c not in ("edition_id", "unique_id", "created_at")]


def _statement(paramstyle: str) -> str:
    marks = ", ".join("?" if paramstyle == "qmark" else "%s" for _ in COLUMNS)
    sets = ", ".join(f"{c} = excluded.{c}" for c in UPDATED)
    return (
        f"INSERT INTO participants ({', '.join(COLUMNS)}) VALUES ({marks}) "
        f"ON CONFLICT (edition_id, unique_id) DO UPDATE SET {sets}"
    )


def _rows(edition_id: int, items: list[dict[str, Any]], sqlite: bool) -> list[tuple[Any, ...]]:
    now: Any = datetime.now(UTC)
    if sqlite:  # what the app stores on SQLite: naive UTC text
        now = now.replace(tzinfo=None).isoformat(sep=" ")
    return [
        (
            edition_id,
            item["race_id"],
            item["unique_id"],
            item["start_number"],
            item["chip_code"],
            item["first_name"],
            item["last_name"],
            item["country_code"].upper() if item.get("country_code") else None,
            item.get("team_name"),
            item["date_of_birth"] if sqlite else date.fromisoformat(item["date_of_birth"]),
            item.get("gender"),
            item["state"],
            now,
            now,
        )
        for item in items
    ]


def _journal_statement(paramstyle: str) -> str:
    marks = ", ".join("?" if paramstyle == "qmark" else "%s" for _ in JOURNAL_COLUMNS)
    return f"INSERT INTO changes ({', '.join(JOURNAL_COLUMNS)}) VALUES ({marks})"


JOURNAL_COLUMNS = ("type", "occurred_at", "race_id", "edition_id", "event_id", "batch_id", "entity")


def _journal_rows(
    edition_id: int, items: list[dict[str, Any]], now: Any, race_id: int
) -> list[tuple[Any, ...]]:
    """One entry per runner with its snapshot, as the server's journal writes (decision 26's
    baseline: the rows plus their journal entries)."""
    return [
        (
            "participant.updated",
            now,
            race_id,
            edition_id,
            item["race_id"],
            1,
            json.dumps(item, separators=(",", ":")),
        )
        for item in items
    ]


def upsert(
    database_url: str,
    edition_id: int,
    items: list[dict[str, Any]],
    sqlite_synchronous: str | None = None,
    *,
    journal_race_id: int | None = None,
) -> float:
    """Upsert `items` into `edition_id` with one executemany; returns the seconds it took
    (row building included, connecting excluded). `sqlite_synchronous` mirrors a
    STARTLINE_SQLITE_SYNCHRONOUS given to the servers, so both sides pay the same fsyncs.
    With `journal_race_id`, the same transaction also writes one journal entry per row with
    a second executemany (PostgreSQL: positions handed out under the journal's head row)."""
    from startline.db.engine import make_engine

    engine = make_engine(database_url)
    raw = engine.raw_connection()  # the server's connect-time pragmas applied
    try:
        connection = raw.driver_connection
        sqlite = engine.dialect.name == "sqlite"
        started = time.perf_counter()
        rows = _rows(edition_id, items, sqlite)
        cursor = connection.cursor()
        if sqlite and sqlite_synchronous:
            cursor.execute(f"PRAGMA synchronous={sqlite_synchronous}")
        entries = (
            None
            if journal_race_id is None
            else _journal_rows(edition_id, items, rows[0][-1] if rows else None, journal_race_id)
        )
        if sqlite:  # autocommit mode as the server sets it: begin explicitly
            cursor.execute("BEGIN IMMEDIATE")
            cursor.executemany(_statement("qmark"), rows)
            if entries:
                cursor.executemany(_journal_statement("qmark"), entries)
            cursor.execute("COMMIT")
        else:
            cursor.executemany(_statement("format"), rows)
            if entries:
                cursor.execute("SELECT head FROM journal_state WHERE id = 1 FOR UPDATE")
                head = cursor.fetchone()[0]
                cursor.executemany(
                    "INSERT INTO changes (position, "
                    + ", ".join(JOURNAL_COLUMNS)
                    + ") VALUES (%s, "
                    + ", ".join("%s" for _ in JOURNAL_COLUMNS)
                    + ")",
                    [(head + 1 + i, *entry) for i, entry in enumerate(entries)],
                )
                cursor.execute(
                    "UPDATE journal_state SET head = %s WHERE id = 1", (head + len(entries),)
                )
            connection.commit()
        elapsed = time.perf_counter() - started
        cursor.close()
    finally:
        raw.close()
        engine.dispose()
    return elapsed

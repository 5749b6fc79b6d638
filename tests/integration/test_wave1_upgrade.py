"""A database populated by the first release (schema e4e506c9ef0e) upgrades to the current
head on both databases without losing or changing a runner, and gains what wave 2 adds."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import create_engine, text

from startline.db.migrate import is_up_to_date, upgrade
from tests.conftest import scratch_pg_database

WAVE1 = "e4e506c9ef0e"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def wave1_url(database_kind, tmp_path):
    if database_kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'wave1.db'}"
        return
    with scratch_pg_database("wave1") as url:
        yield url


def _stamp(engine):
    # Naive UTC on SQLite (as the UTCDateTime type stores it), aware on PostgreSQL.
    return NOW.replace(tzinfo=None) if engine.dialect.name == "sqlite" else NOW


def _populate(engine) -> None:
    now = _stamp(engine)
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO users (id, email, password_hash, is_admin, created_at) "
                "VALUES (1, 'rd@example.com', 'x', false, :now)"
            ),
            {"now": now},
        )
        c.execute(
            text(
                "INSERT INTO races (id, name, url_string, url_key, is_draft, country_code, "
                "timezone, owner_id, created_at, last_modified) VALUES "
                "(1, 'Old 10K', 'old10k', 'old10k', false, 'NL', 'Europe/Amsterdam', 1, :now, :now)"
            ),
            {"now": now},
        )
        c.execute(
            text(
                "INSERT INTO editions (id, race_id, created_at, updated_at) "
                "VALUES (1, 1, :now, :now)"
            ),
            {"now": now},
        )
        c.execute(
            text(
                "INSERT INTO events (id, edition_id, name, start_time, event_type, created_at, "
                "updated_at) "
                "VALUES (1, 1, '10K', '2026-06-07 08:30:00', 'running_race', :now, :now)"
            ),
            {"now": now},
        )
        for i, (first, last) in enumerate([("Zoë", "Ødegård"), ("Kris", "Kuiper")], start=1):
            c.execute(
                text(
                    "INSERT INTO participants (edition_id, event_id, unique_id, start_number, "
                    "chip_code, first_name, last_name, date_of_birth, state, created_at, "
                    "updated_at) VALUES (1, 1, :uid, :bib, :chip, :first, :last, "
                    ":born, 'before', :now, :now)"
                ),
                {
                    "uid": f"u{i}",
                    "bib": str(i),
                    "chip": f"{i:07d}",
                    "first": first,
                    "last": last,
                    "born": date(1990, 1, i),
                    "now": now,
                },
            )


def test_a_populated_wave1_database_upgrades(wave1_url):
    upgrade(wave1_url, WAVE1)
    engine = create_engine(wave1_url)
    try:
        _populate(engine)
        upgrade(wave1_url)
        assert is_up_to_date(engine)
        with engine.connect() as c:
            rows = c.execute(
                text(
                    "SELECT id, unique_id, start_number, chip_code, first_name, last_name, "
                    "origin, search_text, last_change FROM participants ORDER BY id"
                )
            ).all()
            assert [tuple(r) for r in rows] == [
                (1, "u1", "1", "0000001", "Zoë", "Ødegård", "tracx", "zoe odegard", "created"),
                (2, "u2", "2", "0000002", "Kris", "Kuiper", "tracx", "kris kuiper", "created"),
            ]
            assert c.execute(text("SELECT is_public FROM races")).scalar_one() in (True, 1)
            state = c.execute(text("SELECT head, epoch, pruned_through FROM journal_state")).one()
            assert state.head == 0 and len(state.epoch) == 16 and state.pruned_through == 0
            assert c.execute(text("SELECT count(*) FROM changes")).scalar_one() == 0
        # Wave 2 fields are optional now: a runner without bib, chip or birth date.
        with engine.begin() as c:
            c.execute(
                text(
                    "INSERT INTO participants (edition_id, event_id, unique_id, first_name, "
                    "last_name, state, created_at, updated_at) VALUES "
                    "(1, 1, 'sl-3', 'No', 'Bib', 'before', :now, :now)"
                ),
                {"now": _stamp(engine)},
            )
            new_id = c.execute(text("SELECT id FROM participants WHERE unique_id = 'sl-3'"))
            assert new_id.scalar_one() == 3
    finally:
        engine.dispose()


def test_sqlite_never_reuses_a_deleted_runner_id(wave1_url, database_kind):
    if database_kind != "sqlite":
        pytest.skip("PostgreSQL sequences never go back")
    upgrade(wave1_url, WAVE1)
    engine = create_engine(wave1_url)
    try:
        _populate(engine)
        upgrade(wave1_url)
        with engine.begin() as c:
            c.execute(text("DELETE FROM participants WHERE id = 2"))
            c.execute(
                text(
                    "INSERT INTO participants (edition_id, event_id, unique_id, first_name, "
                    "last_name, state, created_at, updated_at) VALUES "
                    "(1, 1, 'again', 'A', 'B', 'before', :now, :now)"
                ),
                {"now": _stamp(engine)},
            )
            assert c.execute(text("SELECT max(id) FROM participants")).scalar_one() == 3
    finally:
        engine.dispose()

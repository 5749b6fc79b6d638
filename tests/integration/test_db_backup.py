"""`startline db backup`, `db restore` and `db prune` on the database under test: a populated
database is backed up (while it is being written), restored into a fresh one and read back; a
restore is refused while the database is in use or when a newer startline made the backup;
prune deletes only what is past its window."""

import json
import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from startline.db import backup as backups
from startline.db.base import utcnow
from startline.db.engine import Database
from startline.db.migrate import head_revision
from startline.domain.accounts import service as accounts
from startline.domain.accounts.models import LoginFailure, RateCounter, UsedNonce, User
from startline.domain.changes.reading import CursorExpired, cursor, journal_info, position_after
from startline.domain.races.models import Race
from startline.settings import Settings
from tests.conftest import TEST_SECRET_KEY, scratch_pg_database
from tests.integration.test_cli_mistakes import one_line_error
from tests.support.cli import ok_json
from tests.support.startline_command import run_startline
from tests.support.world import seed_race

PW = "long-enough-pw"


@pytest.fixture
def fresh(database_kind, tmp_path):
    """Settings and CLI environment of a second, empty database (the restore's target)."""
    data = tmp_path / "fresh"
    if database_kind == "sqlite":
        url = f"sqlite:///{data / 'startline.db'}"
        yield Settings(data_dir=data, database_url=url, secret_key=TEST_SECRET_KEY)
        return
    with scratch_pg_database("restore") as url:
        yield Settings(data_dir=data, database_url=url, secret_key=TEST_SECRET_KEY)


def env_of(settings: Settings) -> dict[str, str]:
    return {
        "STARTLINE_DATABASE_URL": settings.resolved_database_url,
        "STARTLINE_SECRET_KEY": TEST_SECRET_KEY,
        "STARTLINE_DATA_DIR": str(settings.data_dir),
    }


@pytest.mark.slow
def test_backup_while_writing_then_restore_into_a_fresh_database(cli, cli_env, db, fresh, tmp_path):
    seeded = seed_race(db, url_string="BackedUp")
    ok_json(cli("users", "create", "kept@example.com", "--password", PW, "--json"))
    partner = ok_json(cli("partners", "create", "Kept partner", "--json"))

    stop = threading.Event()

    def keep_writing() -> None:  # writes go on while the backup runs
        n = 0
        while not stop.is_set():
            n += 1
            with db.transaction() as session:
                accounts.create_timer(session, name=f"timer {n}")

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        made = run_startline("db", "backup", str(tmp_path / "backup.db"), "--json", env=cli_env)
    finally:
        stop.set()
        writer.join()
    assert made.returncode == 0, made.stderr
    report = json.loads(made.stdout)
    assert report["schema_revision"] == head_revision() and report["bytes"] > 0
    backup_file = Path(report["backup"])
    assert backup_file.stat().st_mode & 0o777 == 0o600
    fails_with_existing = run_startline("db", "backup", str(backup_file), env=cli_env)
    one_line_error(fails_with_existing, "exists")

    restored = run_startline("db", "restore", str(backup_file), "--json", env=env_of(fresh))
    assert restored.returncode == 0, restored.stderr
    check = Database(fresh.resolved_database_url)
    try:
        with check.reading() as session:
            race = session.get(Race, seeded.race_id)
            assert race is not None and race.url_string == "BackedUp"
            assert accounts.find_user(session, email="kept@example.com") is not None
            assert accounts.find_user(session, email="owner@example.com") is not None
        with check.transaction() as session:  # the restored schema is this startline's
            assert session.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
                head_revision()
            )
    finally:
        check.dispose()
    # The same secret key: the restored signing identity signs.
    signature = run_startline("partners", "sign", str(partner["signing_id"]), env=env_of(fresh))
    assert signature.returncode == 0, signature.stderr


@pytest.mark.slow
def test_restore_replaces_and_keeps_the_previous_database(cli, cli_env, db, tmp_path):
    ok_json(cli("users", "create", "before@example.com", "--password", PW, "--json"))
    backup_file = tmp_path / "b.backup"
    assert run_startline("db", "backup", str(backup_file), env=cli_env).returncode == 0
    ok_json(cli("users", "create", "after@example.com", "--password", PW, "--json"))
    db.dispose()  # the suite's own connections: a restore needs the database to itself
    done = run_startline("db", "restore", str(backup_file), "--json", env=cli_env)
    assert done.returncode == 0, done.stderr
    emails = [u["email"] for u in ok_json(cli("users", "list", "--json"))["users"]]
    assert emails == ["before@example.com"]  # written after the backup: gone
    previous = json.loads(done.stdout)["previous_copy"]
    assert previous and Path(previous).exists() and Path(previous).stat().st_mode & 0o777 == 0o600


def test_restore_is_refused_while_the_database_is_in_use(cli_env, db, tmp_path):
    backup_file = tmp_path / "b.backup"
    assert run_startline("db", "backup", str(backup_file), env=cli_env).returncode == 0
    with db.reading() as session:  # a server's open connection
        session.execute(select(func.count()).select_from(User)).scalar()
        one_line_error(run_startline("db", "restore", str(backup_file), env=cli_env), "in use")


def test_restore_refuses_a_backup_from_a_newer_startline(cli_env, fresh, db, tmp_path):
    backup_file = tmp_path / "b.backup"
    assert run_startline("db", "backup", str(backup_file), env=cli_env).returncode == 0
    if fresh.is_embedded:
        with sqlite3.connect(backup_file) as connection:
            connection.execute("UPDATE alembic_version SET version_num = 'fffffff00000'")
    else:
        pytest.skip("a pg_dump file cannot be edited in place; the check is shared code")
    one_line_error(
        run_startline("db", "restore", str(backup_file), env=env_of(fresh)), "newer startline"
    )
    one_line_error(
        run_startline("db", "restore", str(tmp_path / "missing"), env=env_of(fresh)),
        "no backup",
    )


def test_post_restore_hooks_run_on_the_restored_database(db, settings, fresh, tmp_path):
    seed_race(db, url_string="Hooked")
    done = backups.backup(settings, tmp_path / "hooked.backup")
    seen: list[int] = []

    def count_races(session) -> None:
        seen.append(session.execute(select(func.count()).select_from(Race)).scalar())

    backups.restore(fresh, done.path, hooks=(count_races,))
    assert seen == [1]


def test_restore_renews_the_journal_epoch(cli_env, db, tmp_path):
    """A feed cursor from before a restore is refused after it (410 resync)."""
    with db.reading() as session:
        before = journal_info(session).epoch
    backup_file = tmp_path / "b.backup"
    assert run_startline("db", "backup", str(backup_file), env=cli_env).returncode == 0
    db.dispose()
    restored = run_startline("db", "restore", str(backup_file), env=cli_env)
    assert restored.returncode == 0, restored.stderr
    with db.reading() as session:
        assert journal_info(session).epoch != before
        with pytest.raises(CursorExpired):
            position_after(session, cursor(before, 0))


def test_postgresql_tools_missing_is_one_line(cli_env, database_kind, tmp_path):
    if database_kind != "postgresql":
        pytest.skip("SQLite needs no tools")
    env = {**cli_env, "PATH": str(tmp_path)}  # no pg_dump there
    one_line_error(run_startline("db", "backup", str(tmp_path / "x.dump"), env=env), "pg_dump")


def test_prune_deletes_only_what_is_past_its_window(cli, db, settings):
    now = utcnow()
    partner = ok_json(cli("partners", "create", "P", "--json"))
    with db.transaction() as session:
        for age, nonce in ((timedelta(hours=1), "oldnonce"), (timedelta(seconds=5), "newnonce")):
            session.add(
                UsedNonce(signing_identity_id=partner["signing_id"], nonce=nonce, used_at=now - age)
            )
        for age in (timedelta(hours=1), timedelta(seconds=5)):
            session.add(LoginFailure(email="a@example.com", failed_at=now - age))
        now_ts = int(now.timestamp())
        for start in (now_ts - 3 * 24 * 3600, now_ts - 60):
            session.add(RateCounter(bucket="ip:1.2.3.4", window_start=start, count=3))
    deleted = ok_json(cli("db", "prune", "--json"))
    assert deleted == {"used_nonces": 1, "login_failures": 1, "rate_counters": 1}
    with db.reading() as session:
        assert session.execute(select(UsedNonce.nonce)).scalars().all() == ["newnonce"]
        assert len(session.execute(select(LoginFailure)).all()) == 1
        assert len(session.execute(select(RateCounter)).all()) == 1
    assert ok_json(cli("db", "prune", "--json")) == {
        "used_nonces": 0,
        "login_failures": 0,
        "rate_counters": 0,
    }

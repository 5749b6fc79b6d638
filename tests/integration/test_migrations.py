"""Migrations create the schema from empty on the database under test, agree with the
models, and the server refuses (PostgreSQL) or applies (SQLite) a pending upgrade."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from startline.app import SchemaOutOfDate, prepare_schema
from startline.db.base import Base
from startline.db.engine import Database
from startline.db.migrate import head_revision, is_up_to_date, upgrade
from startline.settings import Settings
from tests.conftest import scratch_pg_database


@pytest.fixture
def empty_database_url(database_kind, tmp_path):
    if database_kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with scratch_pg_database("empty") as url:
        yield url


def test_upgrade_from_empty_creates_every_table(empty_database_url):
    upgrade(empty_database_url)
    engine = create_engine(empty_database_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert {t.name for t in Base.metadata.sorted_tables} <= tables
        assert is_up_to_date(engine)
    finally:
        engine.dispose()


def test_models_match_migrations(database_url):
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_out_of_date_schema(empty_database_url, database_kind, tmp_path):
    settings = Settings(data_dir=tmp_path, database_url=empty_database_url, secret_key="k")
    database = Database(empty_database_url)
    try:
        if database_kind == "sqlite":
            prepare_schema(database, settings)  # embedded: applied at start
            assert is_up_to_date(database.engine)
        else:
            with pytest.raises(SchemaOutOfDate, match="startline db upgrade"):
                prepare_schema(database, settings)
    finally:
        database.dispose()
    assert head_revision()


def test_integrity_constraints_exist(database_url):
    engine = create_engine(database_url)
    try:
        inspector = inspect(engine)
        participant_uniques = {
            tuple(c["column_names"]) for c in inspector.get_unique_constraints("participants")
        }
        assert {
            ("edition_id", "unique_id"),
            ("edition_id", "chip_code"),
            ("edition_id", "start_number"),
        } <= participant_uniques
        race_uniques = {tuple(c["column_names"]) for c in inspector.get_unique_constraints("races")}
        assert ("url_key",) in race_uniques
        participant_fks = {
            tuple(fk["constrained_columns"]) for fk in inspector.get_foreign_keys("participants")
        }
        assert ("event_id", "edition_id") in participant_fks
    finally:
        engine.dispose()


def test_sqlite_pragmas(db, database_kind):
    if database_kind != "sqlite":
        pytest.skip("SQLite only")
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_revision_ids_read_from_the_files_agree_with_alembic():
    """The fast schema check (no Alembic import) reads revision ids from the files' text."""
    from alembic.script import ScriptDirectory

    from startline.db.migrate import alembic_config, known_revisions

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert known_revisions() == {r.revision for r in script.walk_revisions()}
    assert head_revision() == script.get_current_head()

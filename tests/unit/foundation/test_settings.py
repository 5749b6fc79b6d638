"""Settings from the environment and the server secret key's handling."""

import stat

import pytest

from startline.settings import Settings, SettingsError


def test_defaults_to_embedded_sqlite_in_data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("STARTLINE_DATABASE_URL", raising=False)
    settings = Settings(data_dir=tmp_path / "d")
    assert settings.is_embedded
    assert settings.resolved_database_url == f"sqlite:///{(tmp_path / 'd' / 'startline.db')}"


def test_reads_environment_with_prefix(monkeypatch):
    monkeypatch.setenv("STARTLINE_BASE_URL", "https://races.example")
    monkeypatch.setenv("STARTLINE_MAX_BODY_BYTES", "2048")
    settings = Settings()
    assert settings.base_url == "https://races.example"
    assert settings.max_body_bytes == 2048


@pytest.mark.parametrize("scheme", ["postgres://", "postgresql://"])
def test_libpq_urls_use_psycopg3(scheme):
    settings = Settings(database_url=f"{scheme}u@h/db", secret_key="k")
    assert settings.resolved_database_url == "postgresql+psycopg://u@h/db"
    assert not settings.is_embedded


def test_embedded_secret_key_is_generated_once_with_mode_0600(tmp_path):
    settings = Settings(data_dir=tmp_path)
    first = settings.resolved_secret_key()
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first) >= 32
    assert Settings(data_dir=tmp_path).resolved_secret_key() == first


def test_configured_secret_key_wins(tmp_path):
    settings = Settings(data_dir=tmp_path, secret_key="configured")
    assert settings.resolved_secret_key() == "configured"
    assert not (tmp_path / "secret_key").exists()


def test_postgresql_without_secret_key_refuses_to_start():
    settings = Settings(database_url="postgresql+psycopg://u@h/db")
    with pytest.raises(SettingsError, match="STARTLINE_SECRET_KEY"):
        settings.resolved_secret_key()


def test_secret_key_not_in_repr():
    assert "hunter2-secret" not in repr(Settings(secret_key="hunter2-secret"))


def test_sqlite_synchronous_setting(tmp_path, monkeypatch):
    from startline.db.engine import Database

    monkeypatch.setenv("STARTLINE_SQLITE_SYNCHRONOUS", "NORMAL")
    settings = Settings(data_dir=tmp_path)
    database = Database(settings.resolved_database_url, **settings.database_options())
    try:
        with database.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    finally:
        database.dispose()
    default = Database(Settings(data_dir=tmp_path / "x").resolved_database_url)
    try:
        with default.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    finally:
        default.dispose()

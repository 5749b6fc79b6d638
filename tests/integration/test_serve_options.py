"""`startline serve` passes the proxy, shutdown and pool settings through: flags win over
`STARTLINE_` settings, which win over the defaults; the pool settings size the engine."""

import pytest
import uvicorn
from typer.testing import CliRunner

from startline.cli import app
from startline.db.engine import Database
from startline.http import serving
from startline.settings import Settings
from tests.support.server import free_port


@pytest.fixture
def started(monkeypatch, cli_env):
    """Run `serve` with uvicorn.run replaced: the keyword arguments it was given."""
    calls: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **kwargs: calls.append(kwargs))
    monkeypatch.setattr(serving, "prepare", lambda *args, **kwargs: {"version": 1})

    def serve(*args: str, **env: str) -> dict:
        result = CliRunner().invoke(
            app, ["serve", "--port", str(free_port()), *args], env={**cli_env, **env}
        )
        assert result.exit_code == 0, result.output
        return calls[-1]

    return serve


def test_defaults(started):
    options = started()
    assert options["proxy_headers"] is True
    assert options["forwarded_allow_ips"] == "127.0.0.1"
    assert options["timeout_graceful_shutdown"] == 30


def test_settings_then_flags(started):
    env = {
        "STARTLINE_PROXY_HEADERS": "false",
        "STARTLINE_FORWARDED_ALLOW_IPS": "10.0.0.5",
        "STARTLINE_SHUTDOWN_GRACE_SECONDS": "120",
    }
    from_settings = started(**env)
    assert (
        from_settings["proxy_headers"],
        from_settings["forwarded_allow_ips"],
        from_settings["timeout_graceful_shutdown"],
    ) == (False, "10.0.0.5", 120)
    from_flags = started(
        "--proxy-headers",
        "--forwarded-allow-ips",
        "192.168.1.1,10.0.0.0/8",
        "--timeout-graceful-shutdown",
        "300",
        **env,
    )
    assert (
        from_flags["proxy_headers"],
        from_flags["forwarded_allow_ips"],
        from_flags["timeout_graceful_shutdown"],
    ) == (True, "192.168.1.1,10.0.0.0/8", 300)


def test_pool_settings_size_the_engine(settings, database_kind):
    sized = settings.model_copy(update={"db_pool_size": 3, "db_max_overflow": 4})
    database = Database(sized.resolved_database_url, **sized.database_options())
    try:
        assert (database.engine.pool.size(), database.engine.pool._max_overflow) == (3, 4)
    finally:
        database.dispose()
    default = Database(settings.resolved_database_url, **settings.database_options())
    try:
        expected = (5, 10) if database_kind == "postgresql" else (16, 32)
        assert (default.engine.pool.size(), default.engine.pool._max_overflow) == expected
    finally:
        default.dispose()


def test_pool_settings_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("STARTLINE_DB_POOL_SIZE", "7")
    monkeypatch.setenv("STARTLINE_DB_MAX_OVERFLOW", "0")
    options = Settings().database_options()
    assert (options["pool_size"], options["max_overflow"]) == (7, 0)

"""Operator mistakes get one line on stderr that names the fix, exit code 1 and never a
traceback: run through the real `startline` command, as an operator meets them."""

import os
import shutil
import socket
import tempfile
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from startline.db.migrate import upgrade
from tests.conftest import TEST_SECRET_KEY, scratch_pg_database
from tests.support.server import free_port
from tests.support.startline_command import can_run_as_nobody, run_startline

NEWER_REVISION = "fffffff00000"


def one_line_error(result, *texts: str) -> str:
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for expected in texts:
        assert expected in lines[0]
    return lines[0]


@pytest.fixture
def own_database(database_kind, tmp_path):
    """A new database of the kind under test (not the suite's shared one), unmigrated."""
    if database_kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'own' / 'startline.db'}"
        return
    with scratch_pg_database("own") as url:
        yield url


def env_for(url: str, data_dir: Path) -> dict[str, str]:
    return {
        "STARTLINE_DATABASE_URL": url,
        "STARTLINE_SECRET_KEY": TEST_SECRET_KEY,
        "STARTLINE_DATA_DIR": str(data_dir),
    }


@pytest.mark.slow
def test_a_database_migrated_by_a_newer_startline(own_database, tmp_path, database_kind):
    upgrade(own_database)
    engine = create_engine(own_database)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE alembic_version SET version_num = :v"), {"v": NEWER_REVISION}
        )
    engine.dispose()
    env = env_for(own_database, tmp_path / "data")
    for args in (["users", "list"], ["serve", "--port", str(free_port())], ["db", "upgrade"]):
        line = one_line_error(run_startline(*args, env=env), "newer startline", NEWER_REVISION)
        assert "db upgrade" not in line  # upgrading cannot help: this startline is older


def test_an_out_of_date_schema(own_database, tmp_path, database_kind):
    env = env_for(own_database, tmp_path / "data")
    if database_kind == "sqlite":  # the embedded database is migrated by any command
        assert run_startline("users", "list", env=env).returncode == 0
        return
    one_line_error(run_startline("serve", "--port", str(free_port()), env=env), "db upgrade")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://root:hunter22@db/startline", "'mysql' is not supported"),
        ("postgresql+asyncpg://u:hunter22@h/d", "is not supported"),
        ("nonsense", "not a database URL"),
        ("postgresql://u:hunter22@h:notaport/d", "not a valid URL"),
    ],
)
def test_a_bad_database_url(url, expected, tmp_path):
    env = {"STARTLINE_DATABASE_URL": url, "STARTLINE_DATA_DIR": str(tmp_path)}
    for args in (["users", "list"], ["serve"]):
        line = one_line_error(run_startline(*args, env=env), "STARTLINE_DATABASE_URL", expected)
        assert "hunter22" not in line


def test_an_unreachable_database(tmp_path):
    env = env_for("postgresql://nobody:hunter22@127.0.0.1:1/none", tmp_path)
    line = one_line_error(run_startline("users", "list", env=env), "cannot reach the database")
    assert "hunter22" not in line


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("STARTLINE_MAX_BODY_BYTES", "abc"),
        ("STARTLINE_LOG_LEVEL", "loud"),
        ("STARTLINE_DB_POOL_SIZE", "0"),
        ("STARTLINE_SQLITE_SYNCHRONOUS", "OFF"),
        ("STARTLINE_PROXY_HEADERS", "maybe"),
    ],
)
def test_a_bad_setting_names_its_variable(variable, value, cli_env):
    for args in (["tokens", "list"], ["serve"]):
        one_line_error(
            run_startline(*args, env={**cli_env, variable: value}), f"{variable}={value}"
        )


def test_a_corrupt_sqlite_file(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "startline.db").write_bytes(b"this is not a database" * 100)
    env = {"STARTLINE_DATA_DIR": str(data)}
    for args in (["users", "list"], ["serve", "--port", str(free_port())]):
        one_line_error(run_startline(*args, env=env), str(data / "startline.db"), "db restore")


@pytest.mark.parametrize("port", ["80000", "0", "-1"])
def test_out_of_range_ports_are_refused(port, cli_env):
    one_line_error(run_startline("serve", "--port", port, env=cli_env), "out of range")


def test_a_port_in_use(cli_env):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        one_line_error(
            run_startline("serve", "--port", str(port), env=cli_env), f"port {port}", "in use"
        )


def test_a_usage_mistake_is_one_line(cli_env):
    one_line_error(run_startline("serve", "--workers", "0", env=cli_env), "--workers")
    one_line_error(run_startline("users", "nope", env=cli_env), "No such command")


@pytest.mark.slow
def test_two_upgrades_at_once(own_database, tmp_path):
    """On PostgreSQL the second waits for the first (an advisory lock), then finds nothing
    to do; on SQLite the write lock queues them the same way."""
    env = env_for(own_database, tmp_path / "data")
    results = [None, None]

    def upgrade_in(slot: int) -> None:
        results[slot] = run_startline("db", "upgrade", env=env, timeout=120)

    threads = [threading.Thread(target=upgrade_in, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for result in results:
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        assert "up to date" in result.stdout


# --- files that cannot be written (root ignores modes: these run as an unprivileged user) ---

needs_nobody = pytest.mark.skipif(
    not can_run_as_nobody(),
    reason="needs an unprivileged user that can run this checkout's startline",
)


@pytest.fixture
def shared_dir():
    """A directory an unprivileged user can enter (pytest's tmp_path is root's only)."""
    path = Path(tempfile.mkdtemp(prefix="startline-perm-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


def _give_to_nobody(path: Path) -> None:
    if os.geteuid() == 0:
        os.chown(path, 65534, 65534)


@pytest.mark.slow
@needs_nobody
def test_a_data_directory_that_cannot_be_created(shared_dir):
    env = {"STARTLINE_DATA_DIR": str(shared_dir / "data")}  # shared_dir is not nobody's
    for args in (["users", "list"], ["serve", "--port", str(free_port())], ["db", "upgrade"]):
        one_line_error(
            run_startline(*args, env=env, as_nobody=True), str(shared_dir), "not writable"
        )


@needs_nobody
def test_a_data_directory_that_cannot_be_written(shared_dir):
    data = shared_dir / "data"
    data.mkdir(mode=0o755)  # exists, readable, not nobody's
    env = {"STARTLINE_DATA_DIR": str(data), "STARTLINE_SECRET_KEY": TEST_SECRET_KEY}
    for args in (["users", "list"], ["serve", "--port", str(free_port())]):
        one_line_error(run_startline(*args, env=env, as_nobody=True), str(data), "not writable")


@needs_nobody
def test_a_database_file_that_cannot_be_written(shared_dir):
    data = shared_dir / "data"
    data.mkdir(mode=0o700)
    _give_to_nobody(data)
    database = data / "startline.db"
    upgrade(f"sqlite:///{database}")
    database.chmod(0o644)  # root's file: nobody may read it, not write it
    env = {"STARTLINE_DATA_DIR": str(data), "STARTLINE_SECRET_KEY": TEST_SECRET_KEY}
    for args in (["users", "list"], ["serve", "--port", str(free_port())]):
        one_line_error(run_startline(*args, env=env, as_nobody=True), str(database), "not writable")

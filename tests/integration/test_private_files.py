"""A data directory startline creates is private: the directory 0700, the SQLite database,
its -wal and -shm files and the generated secret key 0600 (they hold password hashes,
encrypted secrets and runners' personal data), whatever the umask allows."""

import os
import stat

import pytest

from startline.db.engine import Database
from tests.support.startline_command import run_startline


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.slow
def test_new_data_directory_and_database_are_private(tmp_path):
    data = tmp_path / "nested" / "data"
    old_umask = os.umask(0o022)  # a common umask: files 0644 unless startline says otherwise
    try:
        result = run_startline("users", "list", env={"STARTLINE_DATA_DIR": str(data)})
        assert result.returncode == 0, result.stderr
        serve_check = run_startline("partners", "list", env={"STARTLINE_DATA_DIR": str(data)})
        assert serve_check.returncode == 0, serve_check.stderr
    finally:
        os.umask(old_umask)
    assert mode(data) == 0o700
    assert mode(data / "startline.db") == 0o600
    database = Database(f"sqlite:///{data / 'startline.db'}")
    try:
        with database.transaction() as session:  # WAL and shared memory exist while open
            session.connection().exec_driver_sql("CREATE TABLE probe (x INTEGER)")
        for suffix in ("-wal", "-shm"):
            assert mode(f"{data / 'startline.db'}{suffix}") == 0o600, suffix
    finally:
        database.dispose()


def test_generated_secret_key_is_private(tmp_path):
    data = tmp_path / "data"
    result = run_startline("partners", "create", "P", env={"STARTLINE_DATA_DIR": str(data)})
    assert result.returncode == 0, result.stderr
    assert mode(data / "secret_key") == 0o600 and mode(data) == 0o700

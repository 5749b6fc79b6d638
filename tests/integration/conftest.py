"""Fixtures for running the `startline` command on the database under test."""

import pytest
from typer.testing import CliRunner

from startline.cli import app
from tests.conftest import TEST_SECRET_KEY


@pytest.fixture
def cli_env(settings, tmp_path):
    """The environment that points the CLI at the database under test."""
    return {
        "STARTLINE_DATABASE_URL": settings.resolved_database_url,
        "STARTLINE_SECRET_KEY": TEST_SECRET_KEY,
        "STARTLINE_DATA_DIR": str(tmp_path / "data"),
    }


@pytest.fixture
def cli(cli_env, db):
    """`cli("users", "create", ...)`: run a command in this process, return the result."""
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args), env=cli_env)

    return invoke

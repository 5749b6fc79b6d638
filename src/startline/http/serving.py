"""What `startline serve` sets up around uvicorn before any worker starts: the directory the
workers share their metrics through, the JSON logging every worker applies (uvicorn's
`log_config`), and the start-up line.

Call `prepare()` before anything imports the server stack: prometheus_client decides at
import whether a process writes its values to the shared directory."""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from startline.http.logging import configure_logging, logging_config
from startline.settings import Settings
from startline.version import VERSION

METRICS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
METRICS_DIR_PREFIX = "startline-metrics-"
PID_FILE = "server.pid"

logger = logging.getLogger("startline.serve")


def prepare(settings: Settings, *, host: str, port: int, workers: int) -> dict[str, Any]:
    """Set up this server's metrics directory and logging, log the start-up line, and return
    the `log_config` to hand to `uvicorn.run`."""
    metrics_dir = prepare_metrics_dir()
    configure_logging(settings.log_level)
    logger.info(
        "starting",
        extra={
            "fields": {
                "version": VERSION,
                "database": safe_database_url(settings.resolved_database_url),
                "data_dir": str(settings.data_dir.resolve()),
                "workers": workers,
                "host": host,
                "port": port,
                "metrics_dir": str(metrics_dir),
            }
        },
    )
    return logging_config(settings.log_level)


def prepare_metrics_dir() -> Path:
    """A fresh directory for this server's metrics, set in the environment the workers
    inherit: `PROMETHEUS_MULTIPROC_DIR` if the operator set it (emptied of an earlier run's
    files), else a new temporary directory, removed when the server exits normally and, when
    it did not (uvicorn ends by re-raising SIGTERM, a crash), by the next server's start."""
    configured = os.environ.get(METRICS_DIR_VARIABLE)
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):  # another run's counts would be added to ours
            stale.unlink()
        return path
    remove_abandoned_metrics_dirs(Path(tempfile.gettempdir()))
    path = Path(tempfile.mkdtemp(prefix=METRICS_DIR_PREFIX))
    (path / PID_FILE).write_text(f"{os.getpid()}\n")
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    os.environ[METRICS_DIR_VARIABLE] = str(path)
    return path


def remove_abandoned_metrics_dirs(parent: Path) -> None:
    """Remove the metrics directories of servers that are no longer running."""
    for candidate in parent.glob(METRICS_DIR_PREFIX + "*"):
        try:
            pid = int((candidate / PID_FILE).read_text())
        except (OSError, ValueError):
            continue  # not ours, or a server still creating it
        if not _running(pid):
            shutil.rmtree(candidate, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


def safe_database_url(url: str) -> str:
    """The database URL with its password masked, fit for a log."""
    return make_url(url).render_as_string(hide_password=True)

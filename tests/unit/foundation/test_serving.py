"""`serve`'s metrics directory: the operator's is emptied at start; temporary ones of servers
that are gone (uvicorn ends by re-raising SIGTERM, so its exit hooks do not run) are removed
by the next start, those of running servers are left alone."""

from __future__ import annotations

import os
import subprocess
import sys

from startline.http import serving


def test_configured_directory_is_emptied_of_earlier_runs(tmp_path, monkeypatch):
    configured = tmp_path / "metrics"
    configured.mkdir()
    (configured / "counter_123.db").write_bytes(b"old counts")
    (configured / "notes.txt").write_text("not ours")
    monkeypatch.setenv(serving.METRICS_DIR_VARIABLE, str(configured))
    assert serving.prepare_metrics_dir() == configured
    assert sorted(p.name for p in configured.iterdir()) == ["notes.txt"]


def test_abandoned_temporary_directories_are_removed(tmp_path):
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(finished.stdout)
    gone = tmp_path / f"{serving.METRICS_DIR_PREFIX}gone"
    running = tmp_path / f"{serving.METRICS_DIR_PREFIX}running"
    starting = tmp_path / f"{serving.METRICS_DIR_PREFIX}starting"  # no pid file yet
    other = tmp_path / "something-else"
    for path in (gone, running, starting, other):
        path.mkdir()
    (gone / serving.PID_FILE).write_text(f"{dead_pid}\n")
    (gone / "counter_1.db").write_bytes(b"x")
    (running / serving.PID_FILE).write_text(f"{os.getpid()}\n")
    (other / serving.PID_FILE).write_text(f"{dead_pid}\n")
    serving.remove_abandoned_metrics_dirs(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [running.name, starting.name, other.name]
    )

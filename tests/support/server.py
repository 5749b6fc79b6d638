"""Real servers for tests that need one: `startline serve` as a process (crash, several
processes) or the app under uvicorn in a thread (concurrency, live pages)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from startline.settings import Settings
from tests.conftest import TEST_SECRET_KEY


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Serve `app` until the block ends; streams still open then are cut after 1 s."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    base_url: str

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no flushing, as in a crash."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=15)


def server_env(settings: Settings, data_dir: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "STARTLINE_DATABASE_URL": settings.resolved_database_url,
        "STARTLINE_SECRET_KEY": TEST_SECRET_KEY,
        "STARTLINE_DATA_DIR": str(data_dir),
        "STARTLINE_LOG_LEVEL": "warning",
        **extra,
    }


@contextmanager
def running_server(
    settings: Settings, data_dir: Path, *, workers: int = 1, **extra_env: str
) -> Iterator[ServerProcess]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "startline.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=server_env(settings, data_dir, **extra_env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: the workers are stopped with it
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90  # a loaded 2-core machine starts workers slowly
    while True:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {process.stderr.read().decode()[-2000:]}")
        if time.monotonic() > deadline:
            process.kill()
            process.wait(timeout=15)
            _kill_group(process)
            tail = process.stderr.read().decode()[-2000:]
            raise RuntimeError(f"server did not start in 90 s: {tail}")
        time.sleep(0.1)
    server = ServerProcess(process=process, base_url=base_url)
    try:
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)
        _kill_group(process)  # workers orphaned by a SIGKILLed supervisor (crash tests)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)

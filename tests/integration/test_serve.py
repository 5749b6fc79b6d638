"""`startline serve` as a user runs it: a real process answering /healthz."""

import os
import socket
import subprocess
import sys
import time

import httpx

from tests.conftest import TEST_SECRET_KEY


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_answers_healthz(settings, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "STARTLINE_DATABASE_URL": settings.resolved_database_url,
        "STARTLINE_SECRET_KEY": TEST_SECRET_KEY,
        "STARTLINE_DATA_DIR": str(tmp_path / "data"),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "startline.cli", "serve", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read().decode()
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert response.json() == {"status": "ok", "database": "ok"}
        assert response.headers["x-request-id"]
    finally:
        process.terminate()
        process.wait(timeout=15)

"""A real `startline serve` process (uvicorn, as operators run it): start, wait until healthy,
sample its resident memory (all worker processes together), stop."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import psutil


def _busy_share(before: Any, after: Any) -> float:
    """Share of the machine's CPU time that was not idle between two psutil.cpu_times()."""
    idle = (after.idle - before.idle) + (getattr(after, "iowait", 0) - getattr(before, "iowait", 0))
    total = sum(after) - sum(before)
    return 0.0 if total <= 0 else max(0.0, 1 - idle / total)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def startline_command() -> list[str]:
    """The installed `startline` script next to this interpreter, else `python -m`."""
    script = Path(sys.executable).with_name("startline")
    if script.exists():
        return [str(script)]
    found = shutil.which("startline")
    return [found] if found else [sys.executable, "-m", "startline.cli"]


class Server:
    """One `startline serve` process tree on a free loopback port."""

    def __init__(self, env: dict[str, str], *, workers: int, log_path: Path) -> None:
        self.env = env
        self.workers = workers
        self.port = free_port()
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self._peak_rss = 0
        self._sampling = False
        self._sampler: threading.Thread | None = None
        self._cpu_start = 0.0
        self.cpu_used = 0.0  # server CPU seconds during the last sampled scenario
        self.machine_busy = 0.0  # share of all cores busy (anyone's) during it, 0..1
        self._machine_start: Any = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        command = [
            *startline_command(),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
        ]
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # own session: stopped as one group, by its id
            command, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_tail()}")
            if self._healthy() and self._worker_count() >= self.workers:
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server not healthy after {timeout:.0f}s:\n{self.log_tail()}")

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.base_url + "/healthz", timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def _worker_count(self) -> int:
        if self.workers == 1:
            return 1
        try:
            return len(psutil.Process(self.process.pid).children(recursive=True))  # type: ignore[union-attr]
        except psutil.Error:
            return 0

    def processes(self) -> list[psutil.Process]:
        if self.process is None:
            return []
        try:
            root = psutil.Process(self.process.pid)
            return [root, *root.children(recursive=True)]
        except psutil.Error:
            return []

    def pids(self) -> list[int]:
        return [p.pid for p in self.processes()]

    def rss_bytes(self) -> int:
        """Resident memory of the whole server (supervisor + workers; multiprocessing's
        resource tracker excluded)."""
        total = 0
        for proc in self.processes():
            try:
                if "resource_tracker" in " ".join(proc.cmdline()):
                    continue
                total += proc.memory_info().rss
            except psutil.Error:
                continue
        return total

    def cpu_seconds(self) -> float:
        """User + system CPU the server processes have used so far."""
        total = 0.0
        for proc in self.processes():
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.Error:
                continue
        return total

    # Peak RSS while a scenario runs: sampled from a thread every 50 ms.
    def start_sampling(self) -> None:
        self._peak_rss = self.rss_bytes()
        self._cpu_start = self.cpu_seconds()
        self._machine_start = psutil.cpu_times()
        self._sampling = True

        def sample() -> None:
            while self._sampling:
                self._peak_rss = max(self._peak_rss, self.rss_bytes())
                time.sleep(0.05)

        self._sampler = threading.Thread(target=sample, daemon=True)
        self._sampler.start()

    def stop_sampling(self) -> int:
        self._sampling = False
        if self._sampler is not None:
            self._sampler.join()
        self._peak_rss = max(self._peak_rss, self.rss_bytes())
        self.cpu_used = self.cpu_seconds() - self._cpu_start
        self.machine_busy = _busy_share(self._machine_start, psutil.cpu_times())
        return self._peak_rss

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        pgid = os.getpgid(self.process.pid)
        os.killpg(pgid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

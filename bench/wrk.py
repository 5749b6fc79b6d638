"""Drive a server with wrk (a separate process) and read the JSON line its Lua `done` prints."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

LUA_DIR = Path(__file__).parent / "lua"
MARKER = "BENCH_JSON "

WRK_MISSING = (
    "wrk is not installed. Install it with `apt-get install -y wrk` (Debian/Ubuntu), "
    "`brew install wrk` (macOS) or build it from https://github.com/wg/wrk, then run again."
)


class WrkMissing(RuntimeError):
    pass


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise WrkMissing(WRK_MISSING)
    return found


@dataclass
class WrkResult:
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    errors: int  # socket errors + non-2xx statuses + bodies the script judged as errors
    error_detail: dict[str, int]


def run_wrk(
    script: str,
    url: str,
    *,
    connections: int,
    threads: int,
    duration_s: float,
    env: dict[str, str],
    timeout_s: float = 10.0,
) -> WrkResult:
    """One wrk run: bounded by `duration_s`; the Lua script bounds the request count too."""
    threads = max(1, min(threads, connections))
    command = [
        wrk_path(),
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{duration_s:g}s",
        "--timeout",
        f"{timeout_s:g}s",
        "-s",
        str(LUA_DIR / script),
        url,
    ]
    lua_env = {**os.environ, **env, "BENCH_LUA_DIR": str(LUA_DIR)}
    done = subprocess.run(
        command,
        env=lua_env,
        capture_output=True,
        text=True,
        timeout=duration_s + timeout_s + 60,
        check=False,
    )
    for line in done.stdout.splitlines():
        if line.startswith(MARKER):
            data = json.loads(line[len(MARKER) :])
            break
    else:
        raise RuntimeError(
            f"wrk gave no result (exit {done.returncode}):\n"
            f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        )
    detail = {
        key: int(data[key]) for key in ("connect", "read", "write", "status", "timeout", "body")
    }
    duration = data["duration_us"] / 1e6
    return WrkResult(
        requests=int(data["requests"]),
        duration_s=duration,
        rps=data["requests"] / duration if duration else 0.0,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        mean_ms=data["mean_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        errors=sum(detail.values()),
        error_detail=detail,
    )

"""Running the real `startline` command as an operator does: in a pipe, or in a terminal of
a given width (a pseudo-terminal), optionally as an unprivileged user."""

from __future__ import annotations

import fcntl
import functools
import os
import pty
import shutil
import struct
import subprocess
import sys
import termios
from pathlib import Path

NOBODY = 65534


def startline_script() -> str:
    script = Path(sys.executable).with_name("startline")
    if script.exists():
        return str(script)
    found = shutil.which("startline")
    assert found, "the startline script is not installed"
    return found


def run_startline(
    *args: str, env: dict[str, str], timeout: float = 60, as_nobody: bool = False, cwd=None
) -> subprocess.CompletedProcess[str]:
    """`startline ARGS` in a pipe; with `as_nobody` as an unprivileged user (root ignores
    file modes, so permission mistakes can only be seen without it)."""
    command = [startline_script(), *args]
    if as_nobody and os.geteuid() == 0:
        command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *command]
    return subprocess.run(
        command,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        cwd=cwd,
    )


@functools.cache
def can_run_as_nobody() -> bool:
    """Whether `as_nobody` works here: not root, or root with setpriv and a checkout (its
    virtualenv) that the unprivileged user can reach (a clone under a private temporary
    directory is not)."""
    if os.geteuid() != 0:
        return True
    if shutil.which("setpriv") is None:
        return False
    return run_startline("--version", env={}, as_nobody=True).returncode == 0


def run_in_terminal(*args: str, env: dict[str, str], columns: int, timeout: float = 60) -> str:
    """`startline ARGS` in a pseudo-terminal `columns` wide; everything it wrote."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: size its terminal, then become startline
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
        script = startline_script()
        os.execve(script, [script, *args], {**os.environ, **env, "COLUMNS": str(columns)})
    chunks = []
    try:
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(fd)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, b"".join(chunks).decode(errors="replace")
    return b"".join(chunks).decode().replace("\r\n", "\n")

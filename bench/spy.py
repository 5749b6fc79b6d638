"""py-spy evidence: record a server worker while a scenario runs, then summarise the
collapsed stacks as "py-spy top" would (self and total share of samples per function)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

_LINE = re.compile(r" \(([^()]*?):\d+\)$")


def py_spy() -> str | None:
    script = Path(sys.executable).with_name("py-spy")
    return str(script) if script.exists() else shutil.which("py-spy")


def start(pid: int, seconds: float, output: Path) -> subprocess.Popen[bytes] | None:
    tool = py_spy()
    if tool is None:
        return None
    return subprocess.Popen(  # sampling only threads that hold the GIL: where the CPU goes
        [
            tool,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(max(1, int(seconds))),
            "--rate",
            "250",
            "--gil",
            "--nonblocking",
            "--format",
            "raw",
            "--output",
            str(output),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _frame(raw: str) -> str:
    """ "func (path/to/file.py:12)" -> "func (to/file.py)": one entry per function."""
    match = _LINE.search(raw)
    if not match:
        return raw.strip()
    path = "/".join(match.group(1).split("/")[-2:])
    return f"{raw[: match.start()].strip()} ({path})"


def summarise(collapsed: Path, top: int = 25) -> str:
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in collapsed.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame(f) for f in stack.split(";")[1:]]  # first entry names the thread
        if not frames:
            continue
        samples += count
        own[frames[-1]] += count
        for frame in set(frames):
            total[frame] += count
    if not samples:
        return "(no samples)"
    lines = [f"{samples} samples (GIL held)", "", "  %own  %total  function"]
    for frame, count in own.most_common(top):
        lines.append(f"{100 * count / samples:6.1f} {100 * total[frame] / samples:6.1f}  {frame}")
    lines += ["", "  %total  function (inclusive, top)"]
    for frame, count in total.most_common(top + 15):
        lines.append(f"{100 * count / samples:7.1f}  {frame}")
    return "\n".join(lines)

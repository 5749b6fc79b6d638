"""The import's progress bar: rich, on stderr, only on a terminal and only for an import
still running a second after it started (a small file prints nothing but its report)."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

from startline.startlists.importing import Progress

# A progress bar only for imports still running after this many seconds.
PROGRESS_AFTER_S = 1.0


@contextmanager
def import_progress(raw: BinaryIO) -> Iterator[Progress]:
    """What the import reports its progress to while the block runs: a TerminalProgress
    when stderr is a terminal, else nothing shown."""
    if not sys.stderr.isatty():
        yield Progress()
        return
    size = raw.seek(0, os.SEEK_END)
    raw.seek(0)
    bar = TerminalProgress(size, after=PROGRESS_AFTER_S)
    try:
        yield bar
    finally:
        bar.close()


class TerminalProgress(Progress):
    """A rich progress bar: bytes read with the rows read, rows/s and the time left, then
    the write. It appears (from a timer thread) only when the import is still running
    `after` seconds from its start; rich is imported only then."""

    def __init__(self, size: int, *, after: float, console: Any = None) -> None:
        self._size = max(size, 1)
        self._console = console
        self._started = time.monotonic()
        self._lock = threading.Lock()
        self._bar: Any = None
        self._task: Any = None
        self._rows = 0
        self._position = 0
        self._writing: int | None = None
        self._closed = False
        self._timer = threading.Timer(after, self.show)
        self._timer.daemon = True
        self._timer.start()

    def reading(self, rows: int, position: int) -> None:
        with self._lock:
            self._rows, self._position = rows, position
            self._update()

    def writing(self, rows: int) -> None:
        with self._lock:
            self._writing = rows
            self._update()

    def close(self) -> None:
        """The import is over: the bar goes (it is transient) and never comes."""
        self._timer.cancel()
        with self._lock:
            self._closed = True
            if self._bar is not None:
                self._bar.stop()

    def show(self) -> None:
        """Start showing the bar (the timer calls this)."""
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn

        with self._lock:
            if self._closed or self._bar is not None:
                return
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[detail]}"),
                console=self._console or Console(stderr=True),
                transient=True,
            )
            self._task = self._bar.add_task("reading", total=self._size, detail="")
            self._bar.start()
            self._update()

    def _update(self) -> None:
        """Bring the bar up to date (the lock is held); redrawn at once, as this is called
        only every 1,000 rows."""
        if self._bar is None:
            return
        if self._writing is not None:
            self._bar.update(
                self._task,
                description=f"writing {self._writing:,} rows",
                total=None,  # the write reports no progress: the bar pulses
                detail="",
                refresh=True,
            )
            return
        self._bar.update(
            self._task,
            completed=min(self._position, self._size),
            detail=self._detail(),
            refresh=True,
        )

    def _detail(self) -> str:
        """`45%  30,000 rows  25,000 rows/s  2 s left` (the time left to read the file)."""
        seconds = time.monotonic() - self._started
        done = min(self._position, self._size) / self._size
        parts = [f"{done:4.0%}", f"{self._rows:,} rows"]
        if seconds > 0 and self._rows:
            parts.append(f"{self._rows / seconds:,.0f} rows/s")
        if seconds > 0 and 0 < done < 1:
            parts.append(f"{seconds * (1 - done) / done:,.0f} s left")
        return "  ".join(parts)

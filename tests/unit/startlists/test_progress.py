"""The import's progress bar on a terminal: bytes read with rows and rows/s, then the write;
never shown once the import is over (the timer that shows it may fire late)."""

from __future__ import annotations

import io

from rich.console import Console

from startline.cli.progress import TerminalProgress


def terminal() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=120), out


def test_the_bar_shows_rows_the_rate_and_then_the_write():
    console, out = terminal()
    progress = TerminalProgress(10_000, after=3600, console=console)
    progress.reading(1_000, 2_000)
    progress.show()  # what the timer does after a second
    progress.reading(4_000, 8_000)
    shown_reading = out.getvalue()
    progress.writing(4_000)
    progress.close()
    assert "reading" in shown_reading and "4,000 rows" in shown_reading
    assert "rows/s" in shown_reading and "80%" in shown_reading and "s left" in shown_reading
    assert "writing 4,000 rows" in out.getvalue()


def test_an_import_over_before_the_timer_shows_nothing():
    console, out = terminal()
    progress = TerminalProgress(10_000, after=3600, console=console)
    progress.reading(1_000, 2_000)
    progress.close()
    progress.show()  # a timer that fired just as the import ended
    assert out.getvalue() == ""

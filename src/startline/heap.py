"""Python's cyclic garbage collector around the big allocations: settled once a server has
started, paused while a start list is built.

A full collection walks every tracked object; a started server holds a few hundred thousand
(FastAPI, Pydantic and SQLAlchemy models, routes, compiled statements) that live as long as
the process, so each full collection paused every request in flight for tens of
milliseconds: the single upsert's p99 at 8 connections was 40-70 ms against a p50 of 6 ms
(bench, issue 15). Moving what exists at start-up to the permanent generation (`gc.freeze`,
the documented use) keeps collections to what requests allocate: p99 fell to 9-12 ms."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


def freeze_startup_heap() -> None:
    """Collect what start-up left behind, then exempt the rest from later collections.

    Only for a serving process: objects frozen here are never collected as cycles, so a
    process that builds many apps (the test suite) must not call it."""
    gc.collect()
    gc.freeze()


_paused_lock = threading.Lock()
_paused_count = 0


@contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off while a start list (a CSV import, a Tracx batch) is parsed, judged
    and written. A 50,000-runner list creates some 600,000 lists, dicts, strings and tuples
    that all live until its commit, and the collector would walk them again and again: a
    third of the parse time, four times the cost of trimming a batch's strings (measured).
    Reference counting still frees everything; the collector is back on (and catches up)
    when the last such write running in this process ends."""
    global _paused_count
    with _paused_lock:
        if _paused_count == 0 and not gc.isenabled():
            _paused_count = -1  # someone else turned it off: leave it to them
        if _paused_count >= 0:
            _paused_count += 1
            gc.disable()
    try:
        yield
    finally:
        with _paused_lock:
            if _paused_count > 0:
                _paused_count -= 1
                if _paused_count == 0:
                    gc.enable()
            elif _paused_count == -1:
                _paused_count = 0

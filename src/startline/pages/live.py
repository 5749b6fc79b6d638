"""The live signal of one server process: a poller reads the journal head every few hundred
milliseconds and wakes the streams of the editions that changed.

Any writer is seen the same way: this process, another server process, a CLI import. A
waiting stream holds an asyncio event and nothing else: no thread, no database connection,
no read transaction. The poller runs while someone listens (a stream, or a page polling the
delta) and stops a while after the last one left."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from startline.db.engine import Database
from startline.domain.changes import reading
from startline.domain.changes.models import Change

logger = logging.getLogger("startline.pages")


# How long a request waits for the poller's first read of the journal.
READY_TIMEOUT_SECONDS = 5.0


class LiveUnavailable(RuntimeError):
    """The journal's head is not known (the database cannot be read, or shutting down)."""


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page stands in the journal: its epoch and the last position it has seen.
    Written `<epoch>.<position>` in SSE ids and the page's data."""

    epoch: str
    position: int

    def __str__(self) -> str:
        return f"{self.epoch}.{self.position}"

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        if not text or len(text) > 60:
            return None
        epoch, _, position = text.strip().rpartition(".")
        if not epoch.isalnum() or not epoch.isascii() or not position.isdigit():
            return None
        if len(position) > 18:
            return None
        return cls(epoch, int(position))


@dataclass(eq=False)
class Listener:
    """One open stream of an edition."""

    edition_id: int
    wake: asyncio.Event = field(default_factory=asyncio.Event)


class Hub:
    """The per-process poller and the streams it wakes."""

    def __init__(self, db: Database, *, interval: float = 0.25, idle_seconds: float = 30.0) -> None:
        self._db = db
        self.interval = interval
        self.idle_seconds = idle_seconds
        self.closed = False
        self.epoch: str | None = None
        self.head = 0  # the last journal head read
        self._base = 0  # the head when the poller started: positions known exactly after it
        self._edition_last: dict[int, int] = {}  # edition -> its last position after _base
        self._listeners: dict[int, set[Listener]] = {}
        self._task: asyncio.Task[None] | None = None
        self._ready: asyncio.Event | None = None
        self._touched = 0.0
        self._signals_hooked = False
        self.polls = 0  # journal reads so far (for tests and the bench)

    # --- listeners ---------------------------------------------------------------------------

    def subscribe(self, edition_id: int) -> Listener:
        listener = Listener(edition_id)
        self._listeners.setdefault(edition_id, set()).add(listener)
        self.touch()
        return listener

    def unsubscribe(self, listener: Listener) -> None:
        group = self._listeners.get(listener.edition_id)
        if group is not None:
            group.discard(listener)
            if not group:
                del self._listeners[listener.edition_id]
        self._touched = time.monotonic()

    @property
    def listener_count(self) -> int:
        return sum(len(group) for group in self._listeners.values())

    def touch(self) -> None:
        """Someone wants fresh positions: keep (or start) the poller."""
        self._touched = time.monotonic()
        if self.closed:
            return
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._ready = asyncio.Event()
            self._task = loop.create_task(self._run(), name="startline-pages-poller")
            self._hook_signals(loop)

    async def ready(self, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        """Wait for the poller's first read (epoch and head known); LiveUnavailable when
        the journal cannot be read in time (the database is down)."""
        self.touch()
        if self.closed or self._ready is None:
            raise LiveUnavailable("the server is shutting down")
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            raise LiveUnavailable("the change journal cannot be read") from None
        if self.epoch is None:
            raise LiveUnavailable("the live poller stopped")

    # --- positions -------------------------------------------------------------------------

    def known_last(self, edition_id: int, after: int) -> int | None:
        """The edition's last position if the poller knows it for a page at `after`: its
        last change after the poller's start, or `after` itself when nothing came since.
        None when the page is older than what the poller has seen."""
        if self.epoch is None or after < self._base:
            return None
        return max(after, self._edition_last.get(edition_id, after))

    async def edition_last(self, edition_id: int, after: int) -> int:
        """The edition's last position in the journal, at least `after` (asks the
        database, once, for a page older than the poller's start)."""
        await self.ready()
        known = self.known_last(edition_id, after)
        if known is not None:
            return known
        head = self.head
        found = await run_in_threadpool(self._read_last, edition_id, after, head)
        if found is not None and found > self._base:
            self._edition_last[edition_id] = max(found, self._edition_last.get(edition_id, 0))
        return max(after, found or after, self._edition_last.get(edition_id, 0))

    def _read_last(self, edition_id: int, after: int, up_to: int) -> int | None:
        with self._db.reading() as session:
            return session.execute(
                select(func.max(Change.position)).where(
                    Change.position > after,
                    Change.position <= up_to,
                    Change.edition_id == edition_id,
                )
            ).scalar()

    # --- the poller ------------------------------------------------------------------------

    async def _run(self) -> None:
        ready = self._ready
        try:
            while not self.closed:
                try:
                    info, changed = await run_in_threadpool(self._read, self.epoch, self.head)
                except Exception:  # a database blip: keep the streams, try again
                    logger.warning("live pages: reading the journal failed", exc_info=True)
                else:
                    self._apply(info, changed)
                    if ready is not None and not ready.is_set():
                        ready.set()
                if not self._listeners and time.monotonic() - self._touched > self.idle_seconds:
                    break
                await asyncio.sleep(self.interval)
        finally:
            # Known positions are only exact while the poller runs without a gap.
            self.epoch = None
            self._edition_last.clear()
            if ready is not None:
                ready.set()  # nobody waits forever on a poller that stopped

    def _read(self, epoch: str | None, head: int) -> tuple[reading.JournalInfo, dict[int, int]]:
        """In a worker thread: the journal's state and the editions changed after `head`."""
        with self._db.reading() as session:
            info = reading.journal_info(session)
            changed: dict[int, int] = {}
            if epoch is not None and info.epoch == epoch and info.head > head:
                changed = reading.editions_changed(session, after=head, up_to=info.head)
        return info, changed

    def _apply(self, info: reading.JournalInfo, changed: dict[int, int]) -> None:
        """In the event loop: record the new head and wake the streams it concerns."""
        self.polls += 1
        first = self.epoch is None
        if first or info.epoch != self.epoch or info.head < self.head:
            # First read, or the journal was restored: nothing known is valid any more.
            self.epoch, self.head, self._base = info.epoch, info.head, info.head
            self._edition_last.clear()
            if not first:
                self._wake_all()
            return
        self.head = info.head
        for edition_id, position in changed.items():
            self._edition_last[edition_id] = position
            for listener in self._listeners.get(edition_id, ()):
                listener.wake.set()

    def _wake_all(self) -> None:
        for group in self._listeners.values():
            for listener in group:
                listener.wake.set()

    # --- shutdown ----------------------------------------------------------------------------

    def close(self) -> None:
        """End every stream now (server shutdown)."""
        self.closed = True
        self._wake_all()
        if self._task is not None and not self._task.done():
            self._task.cancel()

    def _hook_signals(self, loop: asyncio.AbstractEventLoop) -> None:
        """Close the streams as soon as the server is told to stop: uvicorn waits for open
        responses to finish before it runs the shutdown handlers, and a stream never
        finishes by itself. Only a Python handler already in place (the server's) is
        chained; nothing is installed outside the main thread or over a default."""
        if self._signals_hooked or threading.current_thread() is not threading.main_thread():
            return
        self._signals_hooked = True
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous = signal.getsignal(signum)
            if not callable(previous) or getattr(previous, "_startline_hub", None) is self:
                continue
            signal.signal(signum, _chained(self, loop, previous))


def _chained(
    hub: Hub, loop: asyncio.AbstractEventLoop, previous: Callable[[int, FrameType | None], Any]
) -> Callable[[int, FrameType | None], Any]:
    def handler(signum: int, frame: FrameType | None) -> Any:
        loop.call_soon_threadsafe(hub.close)
        return previous(signum, frame)

    handler._startline_hub = hub  # type: ignore[attr-defined]  # marks our own handler
    return handler

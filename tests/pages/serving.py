"""A real HTTP server for the live-page tests (uvicorn in a thread, on 127.0.0.1) and a
reader of Server-Sent Events that collects them in the background."""

from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support.server import serve_in_thread

__all__ = ["EventStream", "serve_in_thread"]


@dataclass
class Event:
    name: str | None = None
    id: str | None = None
    data: Any = None
    comment: str | None = None


@dataclass
class EventStream:
    """Reads one SSE response on a thread; `next()` returns what arrived, in order."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    events: queue.Queue[Event | None] = field(default_factory=queue.Queue)
    status: int | None = None
    ended: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._client = httpx.Client(timeout=httpx.Timeout(60, connect=10))
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            with self._client.stream("GET", self.url, headers=self.headers) as response:
                self.status = response.status_code
                current = Event()
                for line in response.iter_lines():
                    if line == "":
                        if current.name or current.data is not None:
                            self.events.put(current)
                        current = Event()
                    elif line.startswith(":"):
                        self.events.put(Event(comment=line[1:].strip()))
                    else:
                        name, _, value = line.partition(":")
                        value = value.removeprefix(" ")
                        if name == "event":
                            current.name = value
                        elif name == "id":
                            current.id = value
                        elif name == "data":
                            current.data = json.loads(value)
        except httpx.HTTPError:
            pass
        finally:
            self.ended.set()
            self.events.put(None)

    def next(self, timeout: float, *, comments: bool = False) -> Event | None:
        """The next event (comments skipped unless asked for); None when the stream ended
        or nothing came within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                return None
            if event is None:
                self.events.put(None)  # stays ended
                return None
            if event.comment is None or comments:
                return event

    def close(self) -> None:
        self._client.close()
        self._thread.join(5)

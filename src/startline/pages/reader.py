"""The pages' reads, shared by the HTML and the JSON: a public race or edition (briefly
cached), one view of the runner list, and the delta since a position, computed once per
(edition, position) and served to every page that stands there."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from starlette.concurrency import run_in_threadpool

from startline.db.engine import Database
from startline.domain.changes import reading
from startline.domain.public import races as public_races
from startline.domain.public import runners as public_runners
from startline.domain.public.races import PublicEdition, PublicRace
from startline.pages import views
from startline.pages.live import Hub
from startline.pages.views import ListParams

K = TypeVar("K")
V = TypeVar("V")

# How long "is this edition public, and what is its race" is trusted without asking again:
# a race switched off disappears from open pages within this time.
PUBLIC_TTL_SECONDS = 5.0
DELTA_CACHE_SIZE = 1024


class Lru(Generic[K, V]):
    """A small least-recently-used map, safe across the thread pool's threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


@dataclass(frozen=True, slots=True)
class Delta:
    up_to: int
    body: bytes
    made: float


@dataclass(frozen=True, slots=True)
class ListView:
    race: PublicRace
    edition: PublicEdition
    params: ListParams
    epoch: str
    position: int
    page: public_runners.RunnerPage
    counts: Mapping[int | None, Mapping[str, int]]
    genders: list[str]


class Reader:
    def __init__(self, db: Database, hub: Hub) -> None:
        self.db = db
        self.hub = hub
        self._races: Lru[int, tuple[float, PublicRace | None]] = Lru(4096)
        self._deltas: Lru[tuple[str, int, int], Delta] = Lru(DELTA_CACHE_SIZE)
        # Keyed by the journal's epoch and head: every committed change of a runner moves
        # the head, so an answer computed at a head stays right until it moves.
        self._tallies: Lru[tuple[str, int, str, int], public_runners.Tally] = Lru(256)
        self._pages: Lru[tuple[str, int, int, ListParams], public_runners.RunnerPage] = Lru(256)
        self._flights: dict[tuple[str, int, int], asyncio.Future[Delta]] = {}
        self.delta_computations = 0  # for tests and the bench

    # --- races -------------------------------------------------------------------------------

    async def race_of_edition(self, edition_id: int) -> PublicRace | None:
        cached = self._races.get(edition_id)
        if cached is not None and time.monotonic() - cached[0] < PUBLIC_TTL_SECONDS:
            return cached[1]
        race = await run_in_threadpool(self._read_race_of_edition, edition_id)
        self._races.put(edition_id, (time.monotonic(), race))
        return race

    def _read_race_of_edition(self, edition_id: int) -> PublicRace | None:
        with self.db.reading() as session:
            return public_races.public_race_of_edition(session, edition_id=edition_id)

    def read(self, work: Callable[[Any], V]) -> V:
        """Run `work(session)` in a read transaction (blocking: call it in a thread)."""
        with self.db.reading() as session:
            return work(session)

    # --- the list ----------------------------------------------------------------------------

    def list_view(self, race: PublicRace, edition: PublicEdition, params: ListParams) -> ListView:
        """One view of the list, with the counts and the cursor it stands at (the head is
        read first, so every change after it reaches the page as a delta)."""
        with self.db.reading() as session:
            info = reading.journal_info(session)
            page = self._page_at(session, info, edition.id, params)
            tally = self._tally_at(session, info, edition.id)
        return ListView(
            race, edition, params, info.epoch, info.head, page, tally.counts, tally.genders
        )

    def runners_page(self, edition: PublicEdition, params: ListParams) -> bytes:
        with self.db.reading() as session:
            info = reading.journal_info(session)
            page = self._page_at(session, info, edition.id, params)
        body = views.page_json(
            page, params, edition_id=edition.id, epoch=info.epoch, position=info.head
        )
        return views.dumps(body)

    def edition_body(self, race: PublicRace, edition: PublicEdition, base_url: str) -> bytes:
        with self.db.reading() as session:
            info = reading.journal_info(session)
            counts = self._tally_at(session, info, edition.id).counts
        body = views.race_json(race, base_url)
        body["edition"] = views.edition_json(edition, counts, epoch=info.epoch, position=info.head)
        return views.dumps(body)

    def _tally_at(
        self, session: Any, info: reading.JournalInfo, edition_id: int, version: int | None = None
    ) -> public_runners.Tally:
        """The edition's tally at `version`: its last journal entry when known (a delta
        knows it), else the journal head (any later change moves it)."""
        key = (info.epoch, edition_id, "head" if version is None else "entry", version or info.head)
        tally = self._tallies.get(key)
        if tally is None:
            tally = public_runners.tally(session, edition_id=edition_id)
            self._tallies.put(key, tally)
        return tally

    def _page_at(
        self, session: Any, info: reading.JournalInfo, edition_id: int, params: ListParams
    ) -> public_runners.RunnerPage:
        key = (info.epoch, edition_id, info.head, params)
        page = self._pages.get(key)
        if page is None:
            page = public_runners.list_runners(session, query=params.query(edition_id))
            self._pages.put(key, page)
        return page

    # --- deltas ------------------------------------------------------------------------------

    async def delta(self, edition_id: int, since: int) -> Delta:
        """What changed in the edition after `since`, as JSON: from the cache when no change
        came after the cached answer, else computed once however many pages ask."""
        last = await self.hub.edition_last(edition_id, since)
        key = (self.hub.epoch or "", edition_id, since)
        cached = self._deltas.get(key)
        if cached is not None and cached.up_to >= last:
            return cached
        flight = self._flights.get(key)
        if flight is None:
            flight = asyncio.get_running_loop().create_future()
            self._flights[key] = flight
            try:
                delta = await run_in_threadpool(self._compute_delta, edition_id, since, last)
            except BaseException as exc:
                flight.set_exception(exc)
                flight.exception()  # retrieved: the waiters (if any) get it too
                raise
            finally:
                del self._flights[key]
            flight.set_result(delta)
            self._deltas.put(key, delta)
            return delta
        return await asyncio.shield(flight)

    def _compute_delta(self, edition_id: int, since: int, last: int) -> Delta:
        self.delta_computations += 1
        with self.db.reading() as session:
            info = reading.journal_info(session)
            up_to = max(info.head, last)  # never behind what the signal said
            if since < info.pruned_through or since > up_to:
                changes = public_runners.EditionChanges(since, up_to, [], [], reset=True)
            else:
                changes = public_runners.edition_changes(
                    session, edition_id=edition_id, since=since, up_to=up_to
                )
            counts = None
            if changes.runners or changes.removed or changes.reset:
                counts = self._tally_at(session, info, edition_id, changes.last_position).counts
        body = views.changes_json(changes, counts, edition_id=edition_id, epoch=info.epoch)
        return Delta(up_to=up_to, body=views.dumps(body), made=time.monotonic())

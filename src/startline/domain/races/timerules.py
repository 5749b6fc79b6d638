"""Time rules of races: local wall times in the race's IANA zone, DST gaps, past and current."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

DEFAULT_TIMEZONE = "America/New_York"


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_or_none(name: str) -> ZoneInfo | None:
    """The zone for an IANA name, or None when it is not one (no file-system paths)."""
    if name not in _known_zones():
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def exists_locally(local: datetime, zone: ZoneInfo) -> bool:
    """False for a wall time skipped by a DST change (it does not round-trip through UTC)."""
    aware = local.replace(tzinfo=zone)
    back = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return back == local


def to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    return local.replace(tzinfo=zone).astimezone(UTC)


def local_now(zone: ZoneInfo, now: datetime | None = None) -> datetime:
    """The current wall time in `zone`, naive like stored event times."""
    return (now or datetime.now(UTC)).astimezone(zone).replace(tzinfo=None)


def event_finish(start: datetime, end: datetime | None) -> datetime:
    """When an event is over: its end time, or its start time when it has none."""
    return end if end is not None else start


class Timed(Protocol):
    """An event as any layer holds it (a stored row, a view): its local wall times."""

    @property
    def start_time(self) -> datetime: ...

    @property
    def end_time(self) -> datetime | None: ...


def first_start(events: Iterable[Timed]) -> datetime | None:
    """The earliest start of `events` (local wall-clock time); None without events."""
    return min((ev.start_time for ev in events), default=None)


def last_finish(events: Iterable[Timed]) -> datetime | None:
    """When the last of `events` is over (local wall-clock time); None without events."""
    return max((event_finish(ev.start_time, ev.end_time) for ev in events), default=None)


def has_finished(
    finish_times: Iterable[datetime], zone: ZoneInfo, now: datetime | None = None
) -> bool:
    """An edition is finished once the latest finish of its events has passed locally."""
    times = list(finish_times)
    if not times:
        return True
    return to_utc(max(times), zone) < (now or datetime.now(UTC))


def is_past(local: datetime, zone: ZoneInfo, now: datetime | None = None) -> bool:
    return to_utc(local, zone) < (now or datetime.now(UTC))

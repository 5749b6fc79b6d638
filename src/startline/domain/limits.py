"""Fixed-window counters kept in the database, so a limit holds across server processes."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from startline.db.base import utcnow
from startline.db.upsert import insert_for
from startline.domain.accounts.models import RateCounter
from startline.domain.accounts.service import rows_touched

# No limit uses a window longer than this, so older rows are dead whatever their bucket.
MAX_WINDOW_SECONDS = 24 * 60 * 60
PRUNE_EVERY_SECONDS = 60 * 60  # per process: a table-wide prune is rare housekeeping
_last_prune = {"at": float("-inf")}


@dataclass(frozen=True)
class WindowCount:
    count: int
    retry_after_seconds: int  # until the window ends


def count_hit(
    session: Session, *, bucket: str, window_seconds: int, now: datetime | None = None
) -> WindowCount:
    """Add one hit to `bucket`'s current window and return the window's total (atomic)."""
    now_ts = int((now or utcnow()).timestamp())
    window_start = now_ts - now_ts % window_seconds
    statement = insert_for(session, RateCounter.__table__).values(
        bucket=bucket, window_start=window_start, count=1
    )
    statement = statement.on_conflict_do_update(
        index_elements=["bucket", "window_start"],
        set_={"count": RateCounter.__table__.c.count + 1},
    ).returning(RateCounter.__table__.c.count)
    count = session.execute(statement).scalar_one()
    if count == 1:  # a new window of this bucket: its older windows are dead
        _prune(session, bucket=bucket, window_start=window_start, now_ts=now_ts)
    return WindowCount(count=count, retry_after_seconds=window_start + window_seconds - now_ts)


def peek_count(
    session: Session, *, bucket: str, window_seconds: int, now: datetime | None = None
) -> int:
    now_ts = int((now or utcnow()).timestamp())
    window_start = now_ts - now_ts % window_seconds
    row = session.execute(
        select(RateCounter.count).where(
            RateCounter.bucket == bucket, RateCounter.window_start == window_start
        )
    ).scalar_one_or_none()
    return row or 0


def prune_counters(session: Session, *, older_than_ts: int) -> int:
    result = session.execute(delete(RateCounter).where(RateCounter.window_start < older_than_ts))
    return rows_touched(result)


def prune_dead_counters(session: Session, *, now: datetime | None = None) -> int:
    """Delete every counter past the longest window: no limit reads them again."""
    now_ts = int((now or utcnow()).timestamp())
    return prune_counters(session, older_than_ts=now_ts - MAX_WINDOW_SECONDS)


def _prune(session: Session, *, bucket: str, window_start: int, now_ts: int) -> None:
    """Drop the bucket's past windows (index-backed), and once an hour per process every row
    past the longest window, so buckets that never come back (one-off IPs) go too."""
    session.execute(
        delete(RateCounter).where(
            RateCounter.bucket == bucket, RateCounter.window_start < window_start
        )
    )
    if time.monotonic() - _last_prune["at"] >= PRUNE_EVERY_SECONDS:
        _last_prune["at"] = time.monotonic()
        prune_dead_counters(session, now=datetime.fromtimestamp(now_ts, UTC))

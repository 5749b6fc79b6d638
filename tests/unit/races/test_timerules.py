"""Time rules: DST gaps, past and finished judged in the race's own time zone."""

from __future__ import annotations

from datetime import UTC, datetime

from startline.domain.races.timerules import (
    exists_locally,
    has_finished,
    is_past,
    to_utc,
    zone_or_none,
)

NY = zone_or_none("America/New_York")


def test_zone_names():
    assert NY is not None
    assert zone_or_none("Mars/Olympus") is None
    assert zone_or_none("../../etc/passwd") is None
    assert zone_or_none("") is None


def test_dst_gap_does_not_exist_but_fold_does():
    assert NY is not None
    assert not exists_locally(datetime(2027, 3, 14, 2, 30), NY)
    assert exists_locally(datetime(2027, 3, 14, 3, 0), NY)
    assert exists_locally(datetime(2027, 11, 7, 1, 30), NY)  # ambiguous, but real


def test_past_and_finished_in_local_time():
    assert NY is not None
    now = datetime(2027, 6, 7, 12, 0, tzinfo=UTC)  # 08:00 in New York
    assert is_past(datetime(2027, 6, 7, 7, 59), NY, now)
    assert not is_past(datetime(2027, 6, 7, 8, 1), NY, now)
    assert to_utc(datetime(2027, 6, 7, 8, 0), NY) == now
    assert has_finished([datetime(2027, 6, 7, 7, 0)], NY, now)
    assert not has_finished([datetime(2027, 6, 7, 7, 0), datetime(2027, 6, 7, 9, 0)], NY, now)

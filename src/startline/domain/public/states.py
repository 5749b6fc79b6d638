"""A runner's state in plain words and the buckets the pages count (decision 21)."""

from __future__ import annotations

from typing import Literal

from startline.domain.participants.vocabulary import STATES

Bucket = Literal["not_started", "on_course", "finished", "dnf", "dsq", "dns"]
BUCKETS: tuple[Bucket, ...] = ("not_started", "on_course", "finished", "dnf", "dsq", "dns")
ENTERED = "entered"  # every runner: the sum of the buckets

BUCKET_OF_STATE: dict[str, Bucket] = {
    "before": "not_started",
    "during": "on_course",
    "paused": "on_course",
    "resumed": "on_course",
    "finished": "finished",
    "after": "finished",
    "did_not_finish": "dnf",
    "disqualified": "dsq",
    "did_not_start": "dns",
}
assert set(BUCKET_OF_STATE) == set(STATES)

STATES_OF_BUCKET: dict[str, tuple[str, ...]] = {
    bucket: tuple(state for state in STATES if BUCKET_OF_STATE[state] == bucket)
    for bucket in BUCKETS
}

# Tracx's nine states as the page says them.
STATE_WORDS: dict[str, str] = {
    "before": "not started",
    "during": "running",
    "paused": "paused",
    "resumed": "resumed",
    "after": "after",
    "finished": "finished",
    "did_not_finish": "did not finish",
    "disqualified": "disqualified",
    "did_not_start": "did not start",
}

BUCKET_WORDS: dict[str, str] = {
    ENTERED: "Entered",
    "not_started": "Not started",
    "on_course": "On course",
    "finished": "Finished",
    "dnf": "DNF",
    "dsq": "DSQ",
    "dns": "DNS",
}

# Race order: the rank a state sorts by.
STATE_RANK: dict[str, int] = {state: rank for rank, state in enumerate(STATES)}


def empty_counts() -> dict[str, int]:
    return {ENTERED: 0, **{bucket: 0 for bucket in BUCKETS}}


def add_count(counts: dict[str, int], state: str, number: int) -> None:
    """Count `number` runners in `state` (an unknown state counts as entered only)."""
    counts[ENTERED] += number
    bucket = BUCKET_OF_STATE.get(state)
    if bucket is not None:
        counts[bucket] += number

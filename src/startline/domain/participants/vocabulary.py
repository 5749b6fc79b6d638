"""A runner's words: the states a timing system reports, genders, the doors a runner can come
through, and how long each stored text may be."""

from __future__ import annotations

from typing import Literal

# Tracx's nine states, in race order.
STATES: tuple[str, ...] = (
    "before",
    "during",
    "paused",
    "resumed",
    "after",
    "finished",
    "did_not_finish",
    "disqualified",
    "did_not_start",
)
DEFAULT_STATE = "before"
GENDERS: tuple[str, ...] = ("male", "female", "neutral")

# The door that created a runner (RunSignup's `imported` is F only for "runsignup").
Origin = Literal["tracx", "runsignup", "csv"]

# Column sizes of the participants table.
MAX_TEXT = 100  # unique_id, start_number, names, team
MAX_CHIP = 32

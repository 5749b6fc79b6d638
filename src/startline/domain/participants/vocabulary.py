"""A runner's words: the states a timing system reports, genders, the doors a runner can come
through, and how long each stored text may be."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import pycountry

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


@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries)


def is_country_code(code: str) -> bool:
    """An ISO 3166-1 alpha-2 code, in either case (a runner's country)."""
    return len(code) == 2 and code.upper() in _countries()

"""The value rules of a runner's stored fields that every door shares: how long each text may
be, that no text holds a control character, and the closed lists (states, genders, ISO
countries). A door parses its own wire forms first (CSV's `m/w/d`, RunSignup's `M/F`) and
then asks here whether the value may be stored.

The Tracx dialect keeps Laravel's own rules and messages on top of these (its chip must be 7
characters, its ids alpha_dash); nothing it accepts breaks a rule here."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any, Literal

import pycountry

from startline.domain.participants.vocabulary import GENDERS, MAX_CHIP, MAX_TEXT, STATES
from startline.domain.text import has_control_character

ValueReason = Literal[
    "empty",  # a text that must hold something is blank
    "too_long",
    "control_character",
    "not_a_state",
    "not_a_gender",
    "not_a_country",
    "not_a_date",
]

# Text fields and their longest allowed value (characters, as the columns count them).
TEXT_LIMITS: Mapping[str, int] = {
    "unique_id": MAX_TEXT,
    "start_number": MAX_TEXT,
    "chip_code": MAX_CHIP,
    "first_name": MAX_TEXT,
    "last_name": MAX_TEXT,
    "team_name": MAX_TEXT,
}
# Fields whose value, when given, must not be blank (the others may be cleared with None).
NOT_BLANK = frozenset({"unique_id", "first_name", "last_name"})
STATE_SET = frozenset(STATES)
GENDER_SET = frozenset(GENDERS)
# ISO 3166-1 alpha-2, upper case. A code is stored in the case it was given (Tracx stores
# "nl" as sent), so the check ignores case; ASCII only ("\u212aE".lower() is "ke").
COUNTRIES = frozenset(country.alpha_2 for country in pycountry.countries)


def value_problem(field: str, value: Any) -> ValueReason | None:
    """Why `value` may not be stored in `field`, or None when it may. None (clearing an
    optional field, or keeping the state) is judged by the write, not here."""
    if value is None:
        return None
    limit = TEXT_LIMITS.get(field)
    if limit is not None:
        if not isinstance(value, str):
            raise TypeError(f"{field} takes a str, not {type(value).__name__}")
        if field in NOT_BLANK and not value.strip():
            return "empty"
        if len(value) > limit:
            return "too_long"
        if has_control_character(value):
            return "control_character"
        return None
    if field == "state":
        return None if value in STATE_SET else "not_a_state"
    if field == "gender":
        return None if value in GENDER_SET else "not_a_gender"
    if field == "country_code":
        is_code = isinstance(value, str) and len(value) == 2 and value.isascii()
        return None if is_code and value.upper() in COUNTRIES else "not_a_country"
    if field == "date_of_birth":
        return None if type(value) is date else "not_a_date"
    return None


def value_problems(values: Mapping[str, Any]) -> Iterator[tuple[str, ValueReason]]:
    """(field, reason) for every value of `values` that breaks a rule, in `values` order."""
    for field, value in values.items():
        reason = value_problem(field, value)
        if reason is not None:
            yield field, reason


def max_length(field: str) -> int | None:
    """The longest text `field` may hold, or None when it is not a text."""
    return TEXT_LIMITS.get(field)

"""The Tracx participant rules one by one, with Laravel 10+ semantics, and their messages
(Laravel's words and attribute names)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

import pycountry

from startline.dialects.tracx.validation.php import (
    filter_validate_int,
    is_php_blank,
    php_string,
)

PARTICIPANT_FIELDS: tuple[str, ...] = (
    "unique_id",
    "first_name",
    "last_name",
    "country_code",
    "team_name",
    "date_of_birth",
    "start_number",
    "chip_code",
    "gender",
    "state",
    "race_id",
)
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
GENDERS: tuple[str, ...] = ("male", "female", "neutral")
MAX_LENGTH = 100
CHIP_LENGTH = 7
ASCII_ALPHA_DASH = re.compile(r"[A-Za-z0-9_-]+")
# [0-9], not \d: Python's \d also matches other scripts' digits.
_YMD = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
GENDER_SET = frozenset(GENDERS)
STATE_SET = frozenset(STATES)
_COUNTRIES = frozenset(country.alpha_2.lower() for country in pycountry.countries)
# Every letter-case spelling of every code, so the common case is one set lookup.
COUNTRIES_ANY_CASE = frozenset(
    a + b
    for code in _COUNTRIES
    for a in (code[0], code[0].upper())
    for b in (code[1], code[1].upper())
)

MESSAGES = {
    "required": "The {0} field is required.",
    "string": "The {0} field must be a string.",
    "alpha_dash": "The {0} field must only contain letters, numbers, dashes, and underscores.",
    "max": "The {0} field must not be greater than 100 characters.",
    "size": "The {0} field must be 7 characters.",
    "date_format": "The {0} field must match the format Y-m-d.",
    "in": "The selected {0} is invalid.",
    "integer": "The {0} field must be an integer.",
    "country": "The {0} field must be a valid ISO 3166-1 alpha-2 country code.",
    "exists": "The selected {0} is invalid.",
    "distinct": "The {0} field has a duplicate value.",
    "nul": "The {0} field contains invalid characters.",
    "taken": "The {0} has already been taken.",
}


def attribute_name(key: str) -> str:
    """Laravel's displayable attribute: str_replace('_', ' ', Str::snake($key))."""
    return key.replace("_", " ")


def taken_message(field: str, key_prefix: str = "") -> str:
    """Laravel's `unique` message: "The chip code has already been taken."."""
    return MESSAGES["taken"].format(attribute_name(key_prefix + field))


class Missing:
    """Marks a field absent from the input (Laravel tells absent from null)."""


MISSING: Any = Missing()


# --- Rules: each returns True when the value passes -------------------------------------------


def required(value: Any) -> bool:
    """`required`: not absent, null, blank by PHP's trim(), or an empty array; false/0 pass."""
    if value is None or value is MISSING:
        return False
    kind = type(value)
    if kind is str:
        return not is_php_blank(value)
    if kind is list or kind is dict:
        return bool(value)
    return True


def string(value: Any) -> bool:
    """`string`: is_string(), so numbers fail."""
    return type(value) is str


def alpha_dash(value: Any) -> bool:
    kind = type(value)
    # Laravel: is_string || is_numeric, then /\A[\pL\pM\pN_-]+\z/u on the string form.
    if kind is str:
        text = value
    elif kind is int or kind is float:
        text = php_string(value)
    else:
        return False
    if text.isascii():
        return ASCII_ALPHA_DASH.fullmatch(text) is not None
    return all(char in "-_" or unicodedata.category(char)[0] in "LMN" for char in text)


def size(value: Any) -> int:
    # Laravel getSize() without a numeric rule: count for arrays, mb_strlen of the string form.
    kind = type(value)
    if kind is list or kind is dict:
        return len(value)
    return len(php_string(value))


def max_length(value: Any) -> bool:
    """`max:100` on a field without a numeric rule."""
    return size(value) <= MAX_LENGTH


def chip_size(value: Any) -> bool:
    """`size:7` on a field without a numeric rule."""
    return size(value) == CHIP_LENGTH


def date_of_birth(value: Any) -> dt.date | None:
    """date_format:Y-m-d: exactly YYYY-MM-DD and a real date (year 0000 excluded, ours)."""
    if type(value) is not str:
        # Numbers are formatted and tried by Laravel but can never look like Y-m-d.
        return None
    match = _YMD.fullmatch(value)
    if match is None:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def date_format(value: Any) -> bool:
    return date_of_birth(value) is not None


def gender(value: Any) -> bool:
    # `in` compares (string)$value; only a string can spell one of these words.
    return type(value) is str and value in GENDER_SET


def state(value: Any) -> bool:
    return type(value) is str and value in STATE_SET


def country(value: Any) -> bool:
    # ASCII only: "\u212aE".lower() is "ke" in Python, but no client means Kenya by it.
    return (
        type(value) is str and len(value) == 2 and value.isascii() and value.lower() in _COUNTRIES
    )


def integer(value: Any) -> bool:
    """`integer`: filter_var(FILTER_VALIDATE_INT) does not give false."""
    return filter_validate_int(value) is not None

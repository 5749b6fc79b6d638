"""Laravel-faithful validation of Tracx participants: Laravel 10+ rule semantics and messages."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pycountry

__all__ = [
    "GENDERS",
    "PARTICIPANT_FIELDS",
    "STATES",
    "BATCH_ATTRIBUTE",
    "ValidationResult",
    "error_response_body",
    "filter_validate_int",
    "php_float_string",
    "php_string",
    "taken_message",
    "validate_participant",
    "validate_participants",
]

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
# The name a batch body is validated under when it is not a non-empty list (ours).
BATCH_ATTRIBUTE = "participants"

_MAX_LENGTH = 100
_CHIP_LENGTH = 7
_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1
# PHP's trim() default list: what `required` and "is this present" treat as blank.
_PHP_TRIM = " \t\n\r\0\x0b"
# PHP_FILTER_TRIM_DEFAULT: what filter_var(FILTER_VALIDATE_INT) ignores around the digits.
_FILTER_TRIM = " \t\r\v\n"
_FILTER_INT = re.compile(r"[+-]?(?:0|[1-9][0-9]*)")
_ASCII_ALPHA_DASH = re.compile(r"[A-Za-z0-9_-]+")
# [0-9], not \d: Python's \d also matches other scripts' digits.
_YMD = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_GENDER_SET = frozenset(GENDERS)
_STATE_SET = frozenset(STATES)
_COUNTRIES = frozenset(country.alpha_2.lower() for country in pycountry.countries)
# Every letter-case spelling of every code, so the common case is one set lookup.
_COUNTRIES_ANY_CASE = frozenset(
    a + b
    for code in _COUNTRIES
    for a in (code[0], code[0].upper())
    for b in (code[1], code[1].upper())
)

_MESSAGES = {
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
}


class _Missing:
    """Marks a field absent from the input (Laravel tells absent from null)."""


_MISSING: Any = _Missing()


@dataclass(slots=True)
class ValidationResult:
    """Typed values of the fields present in the input, and Laravel's error bag."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)


# --- PHP value semantics -------------------------------------------------------------------


def php_float_string(value: float) -> str:
    """(string)$float in PHP 8: 14 significant digits (precision ini), PHP's E notation."""
    if math.isnan(value):
        return "NAN"
    if math.isinf(value):
        return "INF" if value > 0 else "-INF"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    mantissa, exponent = f"{value:.13e}".split("e")
    sign = ""
    if mantissa[0] == "-":
        sign, mantissa = "-", mantissa[1:]
    digits = (mantissa[0] + mantissa[2:]).rstrip("0")
    point = int(exponent) + 1  # zend_gcvt's decpt: value = 0.DIGITS * 10**point
    if point < -3 or point > 14:
        power = point - 1
        return f"{sign}{digits[0]}.{digits[1:] or '0'}E{'-' if power < 0 else '+'}{abs(power)}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if len(digits) <= point:
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def php_string(value: Any) -> str:
    """(string)$value for a scalar as PHP would write it (arrays never reach here)."""
    kind = type(value)
    if kind is str:
        return value
    if kind is bool:
        return "1" if value else ""
    if kind is int:
        return str(value)
    if kind is float:
        return php_float_string(value)
    return ""


def filter_validate_int(value: Any) -> int | None:
    """filter_var($value, FILTER_VALIDATE_INT): the integer, or None where PHP gives false."""
    kind = type(value)
    if kind is int:
        return value if _INT64_MIN <= value <= _INT64_MAX else None
    if kind is bool:
        return 1 if value else None
    if kind is float:
        text = php_float_string(value)
    elif kind is str:
        text = value
    else:
        return None
    text = text.strip(_FILTER_TRIM)
    if _FILTER_INT.fullmatch(text) is None:
        return None
    number = int(text)
    return number if _INT64_MIN <= number <= _INT64_MAX else None


def _is_php_blank(value: str) -> bool:
    return not value.strip(_PHP_TRIM)


# --- Rules: each returns True when the value passes -------------------------------------------


def _required(value: Any) -> bool:
    if value is None or value is _MISSING:
        return False
    kind = type(value)
    if kind is str:
        return not _is_php_blank(value)
    if kind is list or kind is dict:
        return bool(value)
    return True


def _string(value: Any) -> bool:
    return type(value) is str


def _alpha_dash(value: Any) -> bool:
    kind = type(value)
    # Laravel: is_string || is_numeric, then /\A[\pL\pM\pN_-]+\z/u on the string form.
    if kind is str:
        text = value
    elif kind is int or kind is float:
        text = php_string(value)
    else:
        return False
    if text.isascii():
        return _ASCII_ALPHA_DASH.fullmatch(text) is not None
    return all(char in "-_" or unicodedata.category(char)[0] in "LMN" for char in text)


def _size(value: Any) -> int:
    # Laravel getSize() without a numeric rule: count for arrays, mb_strlen of the string form.
    kind = type(value)
    if kind is list or kind is dict:
        return len(value)
    return len(php_string(value))


def _max(value: Any) -> bool:
    return _size(value) <= _MAX_LENGTH


def _size_chip(value: Any) -> bool:
    return _size(value) == _CHIP_LENGTH


def _date_of_birth(value: Any) -> dt.date | None:
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


def _date_format(value: Any) -> bool:
    return _date_of_birth(value) is not None


def _gender(value: Any) -> bool:
    # `in` compares (string)$value; only a string can spell one of these words.
    return type(value) is str and value in _GENDER_SET


def _state(value: Any) -> bool:
    return type(value) is str and value in _STATE_SET


def _country(value: Any) -> bool:
    # ASCII only: "\u212aE".lower() is "ke" in Python, but no client means Kenya by it.
    return (
        type(value) is str and len(value) == 2 and value.isascii() and value.lower() in _COUNTRIES
    )


def _integer(value: Any) -> bool:
    return filter_validate_int(value) is not None


# --- Field table ------------------------------------------------------------------------------

_Rule = tuple[str, Callable[[Any], bool]]


class _Slow:
    """Returned by a fast check: this value needs the full rule-by-rule path."""


_SLOW: Any = _Slow()
_RaceExists = Callable[[int], bool]


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    required: bool
    rules: tuple[_Rule, ...]
    # The typed value when the value passes every rule on the common path, else _SLOW (or
    # _MISSING for an absent optional field). A shortcut only: the rules decide the rest.
    fast: Callable[[Any, _RaceExists], Any]
    convert: Callable[[Any], Any]


def _fast_unique_id(value: Any, race_exists: _RaceExists) -> Any:
    if (
        type(value) is str
        and len(value) <= _MAX_LENGTH
        and _ASCII_ALPHA_DASH.fullmatch(value) is not None
    ):
        return value
    return _SLOW


def _fast_name(value: Any, race_exists: _RaceExists) -> Any:
    if (
        type(value) is str
        and len(value) <= _MAX_LENGTH
        and "\0" not in value
        and value.strip(_PHP_TRIM)
    ):
        return value
    return _SLOW


def _fast_optional_text(value: Any, race_exists: _RaceExists) -> Any:
    if value is _MISSING or value is None:
        return value
    return _fast_name(value, race_exists)


def _fast_country(value: Any, race_exists: _RaceExists) -> Any:
    if value is _MISSING or value is None:
        return value
    if type(value) is str and value in _COUNTRIES_ANY_CASE:
        return value.lower()
    return _SLOW


def _fast_date(value: Any, race_exists: _RaceExists) -> Any:
    date = _date_of_birth(value)
    return _SLOW if date is None else date


def _fast_start_number(value: Any, race_exists: _RaceExists) -> Any:
    if type(value) is int:
        return str(value)
    return _fast_unique_id(value, race_exists)


def _fast_chip(value: Any, race_exists: _RaceExists) -> Any:
    if (
        type(value) is str
        and len(value) == _CHIP_LENGTH
        and "\0" not in value
        and value.strip(_PHP_TRIM)
    ):
        return value
    return _SLOW


def _fast_gender(value: Any, race_exists: _RaceExists) -> Any:
    if value is _MISSING or value is None or (type(value) is str and value in _GENDER_SET):
        return value
    return _SLOW


def _fast_state(value: Any, race_exists: _RaceExists) -> Any:
    if value is _MISSING or value is None or (type(value) is str and value in _STATE_SET):
        return value
    return _SLOW


def _fast_race_id(value: Any, race_exists: _RaceExists) -> Any:
    if type(value) is int and _INT64_MIN <= value <= _INT64_MAX and race_exists(value):
        return value
    return _SLOW


def _same(value: Any) -> Any:
    return value


def _lower(value: Any) -> Any:
    return value.lower() if type(value) is str else value


_FIELDS: tuple[_Field, ...] = (
    _Field(
        "unique_id",
        True,
        (("string", _string), ("alpha_dash", _alpha_dash), ("max", _max)),
        _fast_unique_id,
        _same,
    ),
    _Field("first_name", True, (("string", _string), ("max", _max)), _fast_name, _same),
    _Field("last_name", True, (("string", _string), ("max", _max)), _fast_name, _same),
    _Field("country_code", False, (("country", _country),), _fast_country, _lower),
    _Field("team_name", False, (("string", _string), ("max", _max)), _fast_optional_text, _same),
    _Field("date_of_birth", True, (("date_format", _date_format),), _fast_date, _date_of_birth),
    _Field(
        "start_number",
        True,
        (("alpha_dash", _alpha_dash), ("max", _max)),
        _fast_start_number,
        php_string,
    ),
    _Field("chip_code", True, (("string", _string), ("size", _size_chip)), _fast_chip, _same),
    _Field("gender", False, (("in", _gender),), _fast_gender, _same),
    _Field("state", False, (("in", _state),), _fast_state, _same),
    _Field("race_id", True, (("integer", _integer),), _fast_race_id, filter_validate_int),
)


def _attribute(key: str) -> str:
    # Laravel's displayable attribute: str_replace('_', ' ', Str::snake($key)).
    return key.replace("_", " ")


def _field_messages(
    spec: _Field,
    value: Any,
    attribute: str,
    race_exists: Callable[[int], bool],
    duplicate: bool,
) -> list[str]:
    """Every failing rule's message for one field, in rule order (Laravel's loop)."""
    has_nul = type(value) is str and "\0" in value
    if spec.required:
        if not _required(value):
            # A failed implicit rule stops the field (Validator::shouldStopValidating).
            return [_MESSAGES["required"].format(attribute)]
    elif value is _MISSING or value is None or (type(value) is str and _is_php_blank(value)):
        # Absent, null (nullable) or blank: Laravel runs none of the field's rules.
        return [_MESSAGES["nul"].format(attribute)] if has_nul else []
    messages = [
        _MESSAGES[name].format(attribute) for name, passes in spec.rules if not passes(value)
    ]
    if spec.name == "race_id" and not messages:
        race_id = filter_validate_int(value)
        if race_id is not None and not race_exists(race_id):
            messages.append(_MESSAGES["exists"].format(attribute))
    if duplicate:
        messages.append(_MESSAGES["distinct"].format(attribute))
    if has_nul:
        messages.append(_MESSAGES["nul"].format(attribute))
    return messages


def _always_slow(value: Any, race_exists: _RaceExists) -> Any:
    return _SLOW


# (name, fast check, field) triples: the hot loop avoids attribute look-ups.
_TABLE = tuple((spec.name, spec.fast, spec) for spec in _FIELDS)
# For a batch item repeating an earlier unique_id: that field takes the full path.
_TABLE_DUPLICATE = tuple(
    (name, _always_slow if name == "unique_id" else fast, spec) for name, fast, spec in _TABLE
)


def _validate_into(
    data: Any,
    key_prefix: str,
    race_exists: _RaceExists,
    errors: dict[str, list[str]],
    duplicate: bool = False,
) -> dict[str, Any]:
    """Validate one participant, adding its errors to `errors`; return its typed values."""
    if type(data) is not dict:
        data = {}
    get = data.get
    values: dict[str, Any] = {}
    for name, fast, spec in _TABLE_DUPLICATE if duplicate else _TABLE:
        value = get(name, _MISSING)
        typed = fast(value, race_exists)
        if typed is not _SLOW:
            if typed is not _MISSING:
                values[name] = typed
            continue
        key = key_prefix + name
        messages = _field_messages(
            spec, value, _attribute(key), race_exists, duplicate and name == "unique_id"
        )
        if messages:
            errors[key] = messages
        elif value is not _MISSING:
            blank = value is None or (type(value) is str and _is_php_blank(value))
            values[name] = None if blank else spec.convert(value)
    return values


def validate_participant(
    data: Any, *, key_prefix: str = "", race_exists: Callable[[int], bool]
) -> ValidationResult:
    """Validate one participant as Laravel would, with Tracx's rules.

    key_prefix is "" for the single endpoint and f"{index}." for batch items: error keys are
    key_prefix + field and the message attribute is that key with "_" -> " ". race_exists is
    called only once race_id passed required and integer. A non-dict `data` validates as an
    empty dict. `values` holds the fields present in the input that passed, typed:
    date_of_birth a date, race_id an int, start_number a str, country_code lower-case.
    """
    errors: dict[str, list[str]] = {}
    values = _validate_into(data, key_prefix, race_exists, errors)
    return ValidationResult(values=values, errors=errors)


def _duplicate_indexes(items: list[Any]) -> set[int]:
    """Items whose unique_id an earlier item already sent (the later one is the error, ours)."""
    seen: set[str] = set()
    duplicates: set[int] = set()
    for index, item in enumerate(items):
        if type(item) is not dict:
            continue
        unique_id = item.get("unique_id")
        if type(unique_id) is not str or _is_php_blank(unique_id):
            continue
        if unique_id in seen:
            duplicates.add(index)
        else:
            seen.add(unique_id)
    return duplicates


def validate_participants(
    items: Any, *, race_exists: Callable[[int], bool]
) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """Validate a batch: each item with key prefix f"{i}.", errors item by item.

    The body as a whole is validated like a Laravel `required|list` field named
    BATCH_ATTRIBUTE: an empty list, an empty dict or nothing gives "The participants field is
    required.", any other non-list "The participants field must be a list." A unique_id sent
    again by a later item is Laravel's `distinct` error on that later item.
    """
    errors: dict[str, list[str]] = {}
    if type(items) is not list or not items:
        if items is None or items == [] or items == {}:
            errors[BATCH_ATTRIBUTE] = [_MESSAGES["required"].format(BATCH_ATTRIBUTE)]
        else:
            errors[BATCH_ATTRIBUTE] = [f"The {BATCH_ATTRIBUTE} field must be a list."]
        return [], errors
    duplicates = _duplicate_indexes(items)
    values = [
        _validate_into(item, f"{index}.", race_exists, errors, index in duplicates)
        for index, item in enumerate(items)
    ]
    return values, errors


def taken_message(field: str, key_prefix: str = "") -> str:
    """Laravel's `unique` message: "The chip code has already been taken."."""
    return f"The {_attribute(key_prefix + field)} has already been taken."


def error_response_body(errors: dict[str, list[str]]) -> dict[str, Any]:
    """Laravel's 422 body, with ValidationException::summarize()'s message."""
    messages = [message for field_messages in errors.values() for message in field_messages]
    if not messages:
        return {"message": "The given data was invalid.", "errors": errors}
    more = len(messages) - 1
    message = messages[0]
    if more:
        message += f" (and {more} more {'error' if more == 1 else 'errors'})"
    return {"message": message, "errors": errors}

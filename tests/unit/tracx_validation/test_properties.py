"""Property tests of the Tracx rules against references written from their definitions."""

from __future__ import annotations

import calendar
import json
import math
import re
import unicodedata
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from startline.dialects.tracx.body import parse_request_data
from startline.dialects.tracx.validation import filter_validate_int, validate_participant

VALID: dict[str, Any] = {
    "unique_id": "1",
    "first_name": "Kris",
    "last_name": "Kuiper",
    "date_of_birth": "2001-01-01",
    "start_number": "1",
    "chip_code": "0000001",
    "race_id": 1,
}
ALPHA_DASH = "The {} field must only contain letters, numbers, dashes, and underscores."
MAX = "The {} field must not be greater than 100 characters."
SIZE = "The chip code field must be 7 characters."
DATE = "The date of birth field must match the format Y-m-d."
INTEGER = "The race id field must be an integer."
# Characters a trimmed, non-blank string can start or end with: none of the trim set, no NUL.
EDGE_SAFE = st.characters(
    blacklist_categories=("Cs",),
    blacklist_characters=" \t\n\v\f\r\x00\ufeff\u200b\u200e",
)


def errors_for(field: str, value: Any) -> list[str]:
    data = {**VALID, field: value}
    return validate_participant(data, race_exists=lambda race_id: True).errors.get(field, [])


# --- alpha_dash: Unicode general categories L*, M*, N* plus "-" and "_" ----------------------


def reference_alpha_dash(text: str) -> bool:
    return bool(text) and all(
        char in "-_" or unicodedata.category(char)[0] in ("L", "M", "N") for char in text
    )


@settings(max_examples=400)
@given(st.text(alphabet=EDGE_SAFE, min_size=1, max_size=30))
@example("é")
@example("e\u0301")
@example("½")
@example("a b")
@example("\U0001f600")
def test_alpha_dash_is_unicode_categories(text: str) -> None:
    failed = ALPHA_DASH.format("start number") in errors_for("start_number", text)
    assert failed == (not reference_alpha_dash(text))


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_alpha_dash_passes_every_json_integer(number: int) -> None:
    assert errors_for("start_number", number) == []


@given(st.floats(allow_nan=False))
@example(1.5)
@example(12.0)
@example(10000000000000.5)
@example(1e15)
def test_alpha_dash_on_floats_judges_phps_string_form(number: float) -> None:
    # PHP writes floats with 14 significant digits: 12.0 is "12" and INF "INF" (pass), while
    # 1.5 and 1.0E+15 fail.
    fails = re.fullmatch(r"-?(?:[0-9]+|INF)", reference_php_float_string(number)) is None
    assert errors_for("start_number", number) == (
        [ALPHA_DASH.format("start number")] if fails else []
    )


# --- Lengths in code points -------------------------------------------------------------------


@settings(max_examples=300)
@given(st.text(alphabet=EDGE_SAFE, min_size=1, max_size=140))
def test_max_counts_code_points(text: str) -> None:
    failed = MAX.format("first name") in errors_for("first_name", text)
    assert failed == (len(text) > 100)
    # The same text measured in UTF-8 bytes would often disagree; the rule must not.
    assert failed == (sum(1 for _ in text) > 100)


@settings(max_examples=300)
@given(st.text(alphabet=EDGE_SAFE, min_size=1, max_size=12))
def test_size_counts_code_points(text: str) -> None:
    assert (SIZE in errors_for("chip_code", text)) == (len(text) != 7)


# --- integer: FILTER_VALIDATE_INT, written again from PHP's definition -----------------------

INT64_MAX = 9223372036854775807
INT64_MIN = -9223372036854775808


def reference_php_float_string(value: float) -> str:
    """(string)$float: %.14G, which picks the same fixed/exponent form as PHP's zend_gcvt."""
    if math.isinf(value):
        return "INF" if value > 0 else "-INF"
    return f"{value:.14G}"


def reference_filter_int(value: Any) -> int | None:
    """filter_var(FILTER_VALIDATE_INT) as ext/filter's php_filter_int() walks the string."""
    if isinstance(value, bool):
        text = "1" if value else ""
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = reference_php_float_string(value)
    elif isinstance(value, str):
        text = value
    else:
        return None
    start, end = 0, len(text)
    while start < end and text[start] in " \t\r\v\n":
        start += 1
    while end > start and text[end - 1] in " \t\r\v\n":
        end -= 1
    chars = text[start:end]
    if not chars:
        return None
    if chars[0] == "0":
        return 0 if len(chars) == 1 else None
    negative = chars[0] == "-"
    if chars[0] in "+-":
        chars = chars[1:]
        if chars == "0":
            return 0
    if not chars or chars[0] not in "123456789":
        return None
    result = 0
    for char in chars:
        if char not in "0123456789":
            return None
        result = result * 10 + (ord(char) - ord("0"))
        if result > INT64_MAX + 1:
            return None
    result = -result if negative else result
    return result if INT64_MIN <= result <= INT64_MAX else None


INTEGERISH = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers().map(str),
    st.text(alphabet="+-0123456789 \t\n\r\v\f.eEx_", max_size=24),
    st.from_regex(r"\A[ \t]?[+-]?[0-9]{1,21}[ \n]?\Z"),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
)


@settings(max_examples=600)
@given(INTEGERISH)
@example("9223372036854775807")
@example("9223372036854775808")
@example("-9223372036854775808")
@example("-9223372036854775809")
@example("+0")
@example("-0")
@example("00")
@example(1e14)
@example(99999999999999.0)
@example(-0.0)
def test_integer_is_filter_validate_int(value: Any) -> None:
    assert filter_validate_int(value) == reference_filter_int(value)
    expected = [] if reference_filter_int(value) is not None else [INTEGER]
    if value is None or value == [] or (isinstance(value, str) and not value.strip(" \t\n\r\v")):
        expected = ["The race id field is required."]
    assert errors_for("race_id", value) == expected


# --- date_format:Y-m-d ---------------------------------------------------------------------


def reference_ymd(text: str) -> bool:
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        return False
    parts = text[:4], text[5:7], text[8:]
    if not all(len(part) > 0 and all(c in "0123456789" for c in part) for part in parts):
        return False
    year, month, day = (int(part) for part in parts)
    # Year 0000 is Laravel-valid but refused by startline (no Python date holds it).
    return year >= 1 and 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]


@settings(max_examples=400)
@given(
    st.integers(min_value=0, max_value=9999),
    st.integers(min_value=0, max_value=13),
    st.integers(min_value=0, max_value=32),
)
def test_date_format_on_zero_padded_dates(year: int, month: int, day: int) -> None:
    text = f"{year:04d}-{month:02d}-{day:02d}"
    assert (DATE in errors_for("date_of_birth", text)) == (not reference_ymd(text))


@settings(max_examples=400)
@given(st.text(alphabet="0123456789-/ T:٠١٢", min_size=1, max_size=12).filter(str.strip))
@example("2001-1-01")
@example("02001-01-01")
def test_date_format_on_arbitrary_strings(text: str) -> None:
    assert (DATE in errors_for("date_of_birth", text)) == (not reference_ymd(text))


# --- Body parsing never breaks ----------------------------------------------------------------


@settings(max_examples=300)
@given(st.binary(max_size=200), st.binary(max_size=40))
def test_any_bytes_parse_without_error(raw: bytes, query: bytes) -> None:
    data = parse_request_data(raw, None, query)
    assert isinstance(data, dict | list)


def reference_laravel_space(char: str) -> bool:
    """Laravel's trim class `[\\s\\x{FEFF}\\x{200B}\\x{200E}]` as PCRE2 defines `\\s` under
    PHP's /u (PCRE2_UCP): Unicode separators (Z*), the ASCII controls \\t..\\r, U+0085, and
    U+180E (still in PCRE2's horizontal space list), plus Laravel's three invisibles."""
    return unicodedata.category(char) in ("Zs", "Zl", "Zp") or char in (
        "\t\n\v\f\r\x85\u180e\ufeff\u200b\u200e"
    )


def reference_laravel_trim(text: str) -> str:
    start, end = 0, len(text)
    while start < end and reference_laravel_space(text[start]):
        start += 1
    while end > start and reference_laravel_space(text[end - 1]):
        end -= 1
    return text[start:end]


SPACES = st.sampled_from(
    " \t\n\v\f\r\x85\xa0\u1680\u180e\u2000\u2005\u200a\u2028\u2029\u202f\u205f\u3000"
    "\ufeff\u200b\u200e\x1c\x1f\x00"
)
NO_SURROGATES = st.characters(blacklist_categories=("Cs",))


@settings(max_examples=300)
@given(st.lists(st.one_of(SPACES, NO_SURROGATES), max_size=40).map("".join))
@example("\u00a0Kris\u3000")
def test_json_strings_are_trimmed_like_laravel(text: str) -> None:
    data = parse_request_data(json.dumps({"v": text}).encode(), None, b"")
    assert data == {"v": reference_laravel_trim(text) or None}

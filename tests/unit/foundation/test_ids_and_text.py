"""The shared primitives: PHP's integer filter, the id and 64-bit ranges, control characters."""

from __future__ import annotations

import pytest

from startline.domain.ids import INT64_MAX, INT64_MIN, MAX_ID, filter_int, is_storable_id
from startline.domain.text import has_control_character


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1", 1),
        ("+1", 1),
        ("-1", -1),
        ("0", 0),
        ("-0", 0),
        (" \t1\r\n\v", 1),
        (str(INT64_MAX), INT64_MAX),
        (str(INT64_MIN), INT64_MIN),
        (str(INT64_MAX + 1), None),
        (str(INT64_MIN - 1), None),
        ("01", None),
        ("1.0", None),
        ("1e3", None),
        ("0x1A", None),
        ("", None),
        ("+", None),
        ("1 2", None),
        ("\u00a01", None),  # PHP's filter trims ASCII only; TrimStrings ran before it
        ("\x0c1", None),  # form feed is not in PHP_FILTER_TRIM_DEFAULT
        ("\u0661", None),  # an Arabic-Indic digit is no [0-9]
        ("9" * 5000, None),
    ],
)
def test_filter_int_is_phps_filter_validate_int(text: str, number: int | None) -> None:
    assert filter_int(text) == number


def test_ids_are_positive_32_bit() -> None:
    assert MAX_ID == 2**31 - 1
    assert [is_storable_id(n) for n in (0, 1, MAX_ID, MAX_ID + 1, -1)] == [
        False,
        True,
        True,
        False,
        False,
    ]


def test_control_characters_are_c0_and_del() -> None:
    """Decision 19: DEL (U+007F) is a control character, everywhere; C1 and format
    characters are not."""
    controls = {chr(code) for code in range(0x110000) if has_control_character(chr(code))}
    assert controls == {chr(code) for code in range(0x20)} | {"\x7f"}
    assert has_control_character("Kris\x7f")
    assert not has_control_character("Kr\u00efs \u0085\u200b")

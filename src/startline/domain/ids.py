"""Integer primitives every door shares: the id range of the database, the 64-bit range of
the PHP servers startline speaks for, and PHP's integer filter (`FILTER_VALIDATE_INT`)."""

from __future__ import annotations

import re

# PHP's integers (and so the largest number a Tracx or RunSignup client can mean by one).
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
# Ids are 32-bit integer columns: PostgreSQL refuses to compare a larger bound value with
# them ("integer out of range"), so an id beyond the range is simply one that does not exist.
MAX_ID = 2**31 - 1

# PHP_FILTER_TRIM_DEFAULT: what FILTER_VALIDATE_INT ignores around the digits (ASCII only).
FILTER_INT_TRIM = " \t\r\v\n"
# An optional sign and no leading zeros; [0-9], not \d (which matches other scripts' digits).
_FILTER_INT = re.compile(r"[+-]?(?:0|[1-9][0-9]*)")
# Longer texts are no 64-bit integer (a sign and 19 digits); int() of 4300+ digits would raise.
_FILTER_INT_MAX_LENGTH = 20


def is_storable_id(value: int) -> bool:
    """True when `value` can name a row (a positive 32-bit id)."""
    return 0 < value <= MAX_ID


def filter_int(text: str) -> int | None:
    """PHP's filter_var($text, FILTER_VALIDATE_INT) on a string: the integer, or None where PHP
    gives false (blanks around it are allowed, a leading zero, a point or an out-of-range
    number are not)."""
    text = text.strip(FILTER_INT_TRIM)
    if len(text) > _FILTER_INT_MAX_LENGTH or _FILTER_INT.fullmatch(text) is None:
        return None
    number = int(text)
    return number if INT64_MIN <= number <= INT64_MAX else None

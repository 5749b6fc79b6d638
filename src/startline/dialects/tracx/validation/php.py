"""PHP's value semantics that Laravel's rules lean on: string forms, filter_var, trim()."""

from __future__ import annotations

import math
from typing import Any

from startline.domain.ids import INT64_MAX, INT64_MIN, filter_int

# PHP's trim() default list: what `required` and "is this present" treat as blank.
PHP_TRIM = " \t\n\r\0\x0b"


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
    """filter_var($value, FILTER_VALIDATE_INT) on any JSON or form value: the integer, or None
    where PHP gives false. Floats are judged by PHP's string form (1.0 is "1")."""
    kind = type(value)
    if kind is int:
        return value if INT64_MIN <= value <= INT64_MAX else None
    if kind is bool:
        return 1 if value else None
    if kind is float:
        return filter_int(php_float_string(value))
    if kind is str:
        return filter_int(value)
    return None


def is_php_blank(value: str) -> bool:
    """trim($value) === '' in PHP."""
    return not value.strip(PHP_TRIM)

"""Tracx request bodies read as Laravel reads them: JSON or form, query merged, trimmed."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote_to_bytes

import orjson

from startline.domain.ids import INT64_MAX, INT64_MIN
from startline.domain.text import CONTROL_CHARACTER_CLASS

__all__ = ["parse_request_data", "parse_php_form", "trim_string", "TRIM_CHARACTERS"]

# Laravel's TrimStrings (Laravel 11's Str::trim): `~^[\s\x{FEFF}\x{200B}\x{200E}]+|...$~u`.
# PHP compiles /u with PCRE2_UCP, so \s is every Unicode space, not only ASCII's. The list is
# what PHP 8.2 trims with that pattern, every code point tried (tests/laravel pins it):
_PHP_UNICODE_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u180e\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# Not str.strip(): that also removes U+001C..U+001F, which PHP keeps, and misses U+180E. U+0000
# is kept so that the "contains invalid characters" rule can see it (TrimStrings keeps it too).
TRIM_CHARACTERS = _PHP_UNICODE_SPACE + "\ufeff\u200b\u200e"

# PHP's json_decode() default depth 512 in Laravel's Request::json() counts the innermost
# value as a level: at most 511 nested arrays/objects decode (checked against PHP 8.2).
_JSON_MAX_NESTING = 511
# PHP's max_input_vars: a form's pairs after these are dropped.
_FORM_MAX_VARS = 1000
# PHP's max_input_nesting_level for form keys such as a[b][c].
_FORM_MAX_NESTING = 64
# A \uD800-\uDFFF escape somewhere; only then is the slower surrogate scan needed.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")
# A form body: no whitespace or control characters, pairs separated by "&".
_FORM_BODY = re.compile(f"[^{CONTROL_CHARACTER_CLASS} ]*")


class _NotJson(Exception):
    """The body is not JSON by PHP json_decode's rules."""


def _reject_constant(name: str) -> Any:
    # Python accepts NaN / Infinity / -Infinity; PHP's json_decode does not.
    raise _NotJson(name)


def trim_string(value: str) -> str | None:
    """TrimStrings then ConvertEmptyStringsToNull for one string."""
    value = value.strip(TRIM_CHARACTERS)
    return value or None


def _clean_scalar(value: Any, check_surrogates: bool) -> Any:
    kind = type(value)
    if kind is str:
        if check_surrogates:
            _assert_no_surrogates(value)
        value = value.strip(TRIM_CHARACTERS)
        return value or None
    if kind is int and not INT64_MIN <= value <= INT64_MAX:
        # PHP's json_decode turns integers beyond 64 bits into floats (INF when huge).
        return float(str(value))
    return value


def _clean(value: Any, check_surrogates: bool) -> Any:
    """Trim strings, "" -> None, big ints -> float, in place; enforce PHP's JSON limits.

    Iterative, not recursive: 511 levels of nesting must not meet Python's recursion limit.
    Every value of a 50,000-runner batch passes here, so the loop keeps its names local and
    tests the common kinds (strings, then integers) first.
    """
    if type(value) is not dict and type(value) is not list:
        return _clean_scalar(value, check_surrogates)
    strip = str.strip
    trim = TRIM_CHARACTERS
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        container, depth = pending.pop()
        if depth >= _JSON_MAX_NESTING:
            raise _NotJson("depth")
        if type(container) is dict:
            if check_surrogates:
                for key in container:
                    _assert_no_surrogates(key)
            pairs: Any = container.items()
        else:
            pairs = enumerate(container)
        for key, item in pairs:
            kind = type(item)
            if kind is str:
                if check_surrogates:
                    _assert_no_surrogates(item)
                trimmed = strip(item, trim)
                # Write only what changed: most strings need no trimming.
                if trimmed is not item or not item:
                    # Replacing a value keeps the dict's size, so iterating on is safe.
                    container[key] = trimmed or None
            elif kind is int:
                if not INT64_MIN <= item <= INT64_MAX:
                    container[key] = _clean_scalar(item, check_surrogates)
            elif kind is dict or kind is list:
                pending.append((item, depth + 1))
    return value


def _assert_no_surrogates(value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _NotJson("lone surrogate") from exc


def _parse_json(text: str) -> Any:
    """Parse like PHP's json_decode($body, true), raising _NotJson where PHP fails."""
    try:
        # orjson first (a 50,000-runner batch spent a fifth of its time in the stdlib
        # parser): what it accepts it reads as the stdlib does. What it refuses (NaN, lone
        # surrogates, integers beyond 64 bits, deep nesting, bad UTF-8) is judged by the
        # stdlib path and PHP's rules below.
        parsed = orjson.loads(text)
    except ValueError:
        parsed = _parse_json_like_php(text)
    return _clean(parsed, _SURROGATE_ESCAPE.search(text) is not None)


def _parse_json_like_php(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        if "digits" not in str(exc):
            raise _NotJson(str(exc)) from exc
        # Python refuses to convert integers over 4300 digits; PHP reads them as floats.
        return _parse_json_with_long_integers(text)
    except RecursionError as exc:
        raise _NotJson("depth") from exc


def _php_integer(text: str) -> int | float:
    if len(text) > 20:
        return float(text)  # beyond 64 bits anyway: PHP's float, INF when huge
    return int(text)


def _parse_json_with_long_integers(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_int=_php_integer)
    except (ValueError, RecursionError) as exc:
        raise _NotJson(str(exc)) from exc


def _is_json_type(content_type: str | None) -> bool:
    if not content_type:
        return False
    mime = content_type.split(";", 1)[0].strip().lower()
    return mime.endswith("/json") or mime.endswith("+json")


def _decode_component(raw: str) -> str:
    # urldecode(): "+" is a space, %XX a byte; invalid UTF-8 is replaced rather than refused.
    return unquote_to_bytes(raw.replace("+", " ")).decode("utf-8", errors="replace")


def _next_index(container: dict[str, Any]) -> str:
    # PHP's $a[] = ...: one more than the largest integer key so far.
    largest = -1
    for key in container:
        if _is_php_int_key(key):
            largest = max(largest, int(key))
    return str(largest + 1)


def _is_php_int_key(key: str) -> bool:
    return key == "0" or bool(re.fullmatch(r"-?[1-9][0-9]{0,18}", key))


def _register(target: dict[str, Any], name: str, value: str) -> None:
    """php_register_variable_ex(): store one name=value, PHP bracket keys included."""
    # PHP reads the name as a C string (up to a NUL byte), without its leading spaces.
    name = name.partition("\0")[0].lstrip(" ")
    bracket = name.find("[")
    base = name if bracket < 0 else name[:bracket]
    base = base.replace(" ", "_").replace(".", "_")
    if not base:
        return
    if bracket < 0:
        target[base] = value
        return
    indexes: list[str | None] = []
    rest = name[bracket:]
    while rest.startswith("["):
        close = rest.find("]")
        if close < 0:
            if not indexes:
                # No closing bracket: PHP keeps it all as one flat name with "[" as "_".
                flat = base + "_" + re.sub(r"[ .\[]", "_", rest[1:])
                target[flat] = value
                return
            break
        inner = rest[1:close]
        indexes.append(inner if inner else None)
        if len(indexes) > _FORM_MAX_NESTING:
            return
        rest = rest[close + 1 :]
    container = target
    key: str | None = base
    for index in indexes:
        if key is None:
            key = _next_index(container)
        child = container.get(key)
        if not isinstance(child, dict):
            child = {}
            container[key] = child
        container = child
        key = index
    if key is None:
        key = _next_index(container)
    container[key] = value


def _listify(value: Any) -> Any:
    """PHP arrays with keys 0..n-1 in order are lists to the validator; keep that shape."""
    if type(value) is not dict:
        return value
    items = {key: _listify(item) for key, item in value.items()}
    if items and list(items) == [str(index) for index in range(len(items))]:
        return list(items.values())
    return items


def parse_php_form(text: str) -> dict[str, Any]:
    """parse_str(): "&"-separated pairs, urldecoded, PHP bracket keys; later names win.

    Like PHP (max_input_vars = 1000), pairs after the first 1000 are ignored.
    """
    result: dict[str, Any] = {}
    pairs = [pair for pair in text.split("&") if pair]
    for pair in pairs[:_FORM_MAX_VARS]:
        name, _, value = pair.partition("=")
        _register(result, _decode_component(name), _decode_component(value))
    return {key: _listify(item) for key, item in result.items()}


def _is_real_form(text: str) -> bool:
    """A body a form encoder could have produced: name=value pairs, no blanks or controls."""
    text = text.removesuffix("\r\n").removesuffix("\n")
    if not text or _FORM_BODY.fullmatch(text) is None:
        return False
    pairs = [pair for pair in text.split("&") if pair]
    return bool(pairs) and all(pair.find("=") > 0 for pair in pairs)


def _parse_body(raw: bytes, content_type: str | None) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        # PHP's json_decode refuses invalid UTF-8, and such a body is no clean form either.
        return {}
    if not text:
        return {}
    try:
        return _parse_json(text)
    except _NotJson:
        pass
    if _is_json_type(content_type) or not _is_real_form(text):
        return {}
    return _clean(parse_php_form(text), False)


def parse_request_data(raw: bytes, content_type: str | None, query_string: bytes) -> Any:
    """Laravel's merged input as a Tracx endpoint sees it.

    A body that parses as JSON (by PHP json_decode's rules: no NaN/Infinity, no lone
    surrogate escapes, UTF-8 only, at most 511 nested containers, integers beyond 64 bits become
    floats) is JSON whatever the Content-Type; else a real form body (``a=b&c=d``, PHP bracket
    keys) is a form, unless the Content-Type names JSON; else empty. Query-string values are
    merged under a dict body (body wins). A top-level JSON array is returned as a list (query
    not merged). A top-level JSON scalar counts as an empty dict. Every string is trimmed
    (TrimStrings) and "" becomes None (ConvertEmptyStringsToNull), in dict values and list
    items alike.
    """
    body = _parse_body(raw, content_type)
    if type(body) is list:
        return body
    if type(body) is not dict:
        body = {}
    if not query_string:
        return body
    query_text = query_string.decode("utf-8", errors="replace")
    query = _clean(parse_php_form(query_text), False)
    # PHP's $body + $query: top-level keys only, the body's value wins.
    return {**query, **body}

"""Printing results: a JSON object with --json, else plain text that never cuts a value.

A secret is shown once, so every value is printed whole on one line at any width (a pipe, a
file, a 40-column terminal): no table library that fits columns to the terminal, control
characters escaped so a stored name cannot break the line or drive the terminal."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from startline.domain.text import CONTROL_CHARACTER_CLASS

# The stored texts' control characters plus the C1 range a terminal may also obey (U+009B
# starts an escape sequence on some terminals), which stored texts may hold.
_TERMINAL_CONTROL = re.compile(f"[{CONTROL_CHARACTER_CLASS}\\x80-\\x9f]")


def text(value: Any) -> str:
    """A value as one line of text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(text(item) for item in value)
    return _TERMINAL_CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", str(value))


def emit(record: Mapping[str, Any], *, as_json: bool, title: str) -> None:
    """One result: a JSON object, or the title and one `key  value` line per field."""
    if as_json:
        print(json.dumps(record, default=_json_default))
        return
    width = max((len(key) for key in record), default=0)
    lines = [
        title,
        *(f"  {key.ljust(width)}  {text(value)}".rstrip() for key, value in record.items()),
    ]
    print("\n".join(lines))


def emit_rows(
    rows: Sequence[Mapping[str, Any]],
    *,
    as_json: bool,
    key: str,
    columns: Sequence[tuple[str, str]],
) -> None:
    """A list: `{"<key>": [...]}` as JSON, else a table whose columns are as wide as their
    longest value (lines may be wider than the terminal; the terminal wraps, nothing is cut).

    `columns`: (field, heading) pairs, in order."""
    if as_json:
        print(json.dumps({key: list(rows)}, default=_json_default))
        return
    _table(rows, columns, empty=f"(no {key})")


def emit_list(
    rows: Sequence[Mapping[str, Any]],
    *,
    as_json: bool,
    columns: Sequence[tuple[str, str]],
    empty: str,
) -> None:
    """A list: a JSON array with --json, else the table `emit_rows` prints."""
    if as_json:
        print(json.dumps(list(rows), default=_json_default))
        return
    _table(rows, columns, empty=empty)


def _table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str]], *, empty: str
) -> None:
    cells = [[heading for _, heading in columns]]
    cells += [[text(row.get(field)) for field, _ in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    for line in cells:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )
    if not rows:
        print(empty)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot print {type(value).__name__} as JSON")

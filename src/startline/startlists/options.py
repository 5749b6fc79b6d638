"""The import and export options as people give them, read and checked in one place for both
doors: the CLI's flags (`--dry-run`, `--delimiter tab`) and /api/v1's query parameters, which
carry the same names (`dry-run` or `dry_run`). Each door only says how to look a name up; the
choices, the defaults, `tab` for a tab and what a yes/no reads as live here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from startline.startlists.exporting import FAMILY_NAMES, Family
from startline.startlists.importing import MATCHES, MODES, ImportOptions
from startline.startlists.reading import DELIMITERS, ENCODINGS

# An option's raw value by its name as the CLI spells it (without dashes in front): the text
# given, or None when it was not given. A flag that was given reads "true" (or any of _TRUE).
Lookup = Callable[[str], str | None]

_TRUE = frozenset({"", "1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
TAB = "tab"  # how a tab is written on a command line or in a URL


class OptionsInvalid(Exception):
    """Options that are not valid; `errors` holds every one: option name -> messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{name}: {' '.join(found)}" for name, found in errors.items()))


def _flag(lookup: Lookup, name: str) -> bool:
    value = lookup(name)
    if value is None:
        return False
    folded = value.strip().lower()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise OptionsInvalid({name: [f"The {name} field must be true or false."]})


def _choice(lookup: Lookup, name: str, choices: tuple[str, ...], default: str) -> str:
    value = lookup(name)
    if value is None or not value.strip():
        return default
    value = value.strip()
    if value == TAB and "\t" in choices:
        return "\t"
    if value not in choices:
        shown = ", ".join(TAB if c == "\t" else c for c in choices)
        raise OptionsInvalid({name: [f"The selected {name} is invalid (one of {shown})."]})
    return value


def _text(lookup: Lookup, name: str) -> str | None:
    value = lookup(name)
    return value if value is not None and value.strip() else None


def _collect(readers: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """Every reader's value, or OptionsInvalid naming every bad option at once."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for key, read in readers.items():
        try:
            values[key] = read()
        except OptionsInvalid as exc:
            errors.update(exc.errors)
    if errors:
        raise OptionsInvalid(errors)
    return values


def import_options(
    edition_id: int, lookup: Lookup, *, max_rows: int | None = None
) -> ImportOptions:
    """The import options (`event`, `mode`, `match`, `dry-run`, `partial`, `delimiter`,
    `encoding`, `date-format`, `ignore-unknown`) for `edition_id`. The date format itself is
    checked by the import (it names what is wrong with it)."""
    values = _collect(
        {
            "mode": lambda: _choice(lookup, "mode", MODES, "upsert"),
            "match": lambda: _choice(lookup, "match", MATCHES, "unique_id"),
            "delimiter": lambda: _choice(lookup, "delimiter", ("auto", *DELIMITERS), "auto"),
            "encoding": lambda: _choice(lookup, "encoding", ENCODINGS, "auto"),
            "dry_run": lambda: _flag(lookup, "dry-run"),
            "partial": lambda: _flag(lookup, "partial"),
            "ignore_unknown": lambda: _flag(lookup, "ignore-unknown"),
        }
    )
    return ImportOptions(
        edition_id=edition_id,
        event=_text(lookup, "event"),
        date_format=_text(lookup, "date-format"),
        max_rows=max_rows,
        **values,
    )


@dataclass(frozen=True)
class ExportOptions:
    event: str | None  # one event (name or id); None: the whole edition
    family: Family
    excel: bool  # a UTF-8 BOM and `;`
    delimiter: str | None  # wins over either default when given


def export_options(lookup: Lookup) -> ExportOptions:
    """The export options: `event`, `columns` (the family), `excel`, `delimiter`."""
    values = _collect(
        {
            "family": lambda: _choice(lookup, "columns", FAMILY_NAMES, "tracx"),
            "excel": lambda: _flag(lookup, "excel"),
            "delimiter": lambda: _choice(lookup, "delimiter", ("auto", *DELIMITERS), "auto"),
        }
    )
    delimiter = values["delimiter"]
    return ExportOptions(
        event=_text(lookup, "event"),
        family=cast(Family, values["family"]),
        excel=values["excel"],
        delimiter=None if delimiter == "auto" else delimiter,
    )


def delimiter_name(delimiter: str) -> str:
    """How a report names a delimiter: `,` `;` or `tab`."""
    return TAB if delimiter == "\t" else delimiter

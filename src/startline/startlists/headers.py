"""Which column is which: a closed table of header names per family (startline/Tracx,
RunSignup, RACE RESULT, OpenSplitTime), matched ignoring case, spaces and punctuation, and
the plan for one file's header: each column's field, the columns ignored (with a warning)
and the columns refused.

A column the families are known to carry but startline does not store (e-mail, phone,
address, age) is ignored with a warning; any other unknown column is an error naming it
unless --ignore-unknown; a `reason` column (a rejects file's) is always ignored."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

# The fields a column can fill. `event` is resolved against the edition's events; `status`
# is RACE RESULT's state code.
COLUMN_FIELDS = (
    "unique_id",
    "start_number",
    "chip_code",
    "first_name",
    "last_name",
    "date_of_birth",
    "gender",
    "country_code",
    "team_name",
    "state",
    "status",
    "event",
)

# family -> field -> the header names it uses (as written by that family's tools).
FAMILIES: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "startline": {
        "unique_id": ("unique_id",),
        "start_number": ("start_number",),
        "chip_code": ("chip_code",),
        "first_name": ("first_name",),
        "last_name": ("last_name",),
        "date_of_birth": ("date_of_birth",),
        "gender": ("gender",),
        "country_code": ("country_code",),
        "team_name": ("team_name",),
        "state": ("state",),
        "event": ("event", "event_id"),
    },
    "runsignup": {
        "unique_id": ("registration_id",),
        "start_number": ("bib_num", "bib"),
        "chip_code": ("chip_num", "chip"),
        "first_name": ("first_name",),
        "last_name": ("last_name",),
        "date_of_birth": ("dob",),
        "gender": ("gender",),
        "country_code": ("country_code",),
        "team_name": ("team_name", "team"),
        "event": ("event_id", "event"),
    },
    "raceresult": {
        "unique_id": ("ID",),
        "start_number": ("Bib",),
        "chip_code": ("Transponder1", "Transponder"),
        "first_name": ("Firstname",),
        "last_name": ("Lastname",),
        "date_of_birth": ("DateOfBirth",),
        "gender": ("Gender",),
        "country_code": ("Nation",),
        "team_name": ("Club",),
        "status": ("Status",),
        "event": ("Contest",),
    },
    "opensplittime": {
        "start_number": ("Bib Number", "Bib", "Bib #"),
        "first_name": ("First", "First Name"),
        "last_name": ("Last", "Last Name"),
        "date_of_birth": ("Birthdate", "Birthday", "Birth Date", "DOB", "Date of Birth"),
        "gender": ("Sex", "Gender"),
        "country_code": ("Country",),
        "event": ("Event Name", "Event"),
    },
}

# Columns those families carry that startline does not store: ignored with a warning.
NOT_STORED = (
    # RunSignup
    "user_id", "email", "middle_name", "phone", "street", "city", "state", "zipcode",
    "address", "age", "imported", "last_modified", "registration_date", "race_id",
    # RACE RESULT
    "Title", "YearOfBirth", "License", "Comment", "Transponder2", "RegNo", "ZIP", "Country",
    "CellPhone", "Language", "Created", "Modified", "GroupID", "AgeGroup",
    # OpenSplitTime
    "Emergency Contact", "Emergency Phone", "Comments", "Start Time",
    "Scheduled Start Time Local", "Beacon URL", "Announcer Notes",
)  # fmt: skip

# A rejects file's reason column: always ignored, so a fixed rejects file imports again.
REASON = "reason"
# The key column that makes `state` a runner's state (decision: only in a Tracx file).
TRACX_KEY = "unique_id"
# A column that means the field only when no stronger column for it is present (RACE
# RESULT's `Country` is the address when `Nation` is there; OpenSplitTime's is the runner's).
WEAK = {"country": "country_code"}

_PUNCTUATION = re.compile(r"[\W_]+")


def normalize(name: str) -> str:
    """`Bib #` -> `bib`, `Date of Birth` -> `dateofbirth`, `first_name` -> `firstname`."""
    return _PUNCTUATION.sub("", name.casefold())


def _synonyms() -> dict[str, str]:
    table: dict[str, str] = {}
    for columns in FAMILIES.values():
        for target, names in columns.items():
            for name in names:
                key = normalize(name)
                if table.setdefault(key, target) != target:
                    raise AssertionError(f"{name!r} means two fields")
    return table


SYNONYMS = _synonyms()
_NOT_STORED = frozenset(normalize(name) for name in NOT_STORED) - SYNONYMS.keys()


def is_known(name: str) -> bool:
    """Whether a header cell is a column name of one of the families (stored or not)."""
    key = normalize(name)
    return key in SYNONYMS or key in _NOT_STORED or key == REASON or key == "state"


class HeaderRefused(Exception):
    """The header cannot be imported as it is; `problems` are every reason, one a line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass
class Column:
    index: int  # position in the record
    name: str  # the header cell as written
    field: str  # a COLUMN_FIELDS name


@dataclass
class HeaderPlan:
    columns: list[Column]
    warnings: list[str] = field(default_factory=list)
    width: int = 0  # cells in the header
    named_width: int = 0  # up to the last named cell (unnamed ones after it may be missing)

    def column_of(self, target: str) -> Column | None:
        for column in self.columns:
            if column.field == target:
                return column
        return None


def plan_header(
    header: list[str],
    *,
    ignore_unknown: bool = False,
    match: str = "unique_id",
) -> HeaderPlan:
    """The plan for `header`, or HeaderRefused with every problem it has."""
    keys = [normalize(cell) for cell in header]
    has_tracx_key = normalize(TRACX_KEY) in keys
    strong = {SYNONYMS[k] for k in keys if k in SYNONYMS and k not in WEAK}
    columns: list[Column] = []
    warnings: list[str] = []
    unknown: list[str] = []
    by_field: dict[str, list[Column]] = {}
    named = max((i for i, cell in enumerate(header) if cell.strip()), default=-1)
    for index, (cell, key) in enumerate(zip(header, keys, strict=True)):
        label = f"column {index + 1}"
        if not key:
            if cell.strip():
                unknown.append(f'"{cell}" ({label})')
            elif index < named:  # unnamed columns after the last name: trailing delimiters
                warnings.append(f"{label} has no name; ignored")
            continue
        if key == REASON:
            continue
        if key == "state" and not has_tracx_key:
            warnings.append(
                f'"{cell}" is read as an address region (runner states need a unique_id '
                "column); ignored"
            )
            continue
        target = SYNONYMS.get(key)
        if key in WEAK and WEAK[key] in strong:
            target = None
        if target is None:
            if key in _NOT_STORED or key in WEAK:
                warnings.append(f'"{cell}" is not stored by startline; ignored')
            elif ignore_unknown:
                warnings.append(f'unknown column "{cell}" ignored')
            else:
                unknown.append(f'"{cell}" ({label})')
            continue
        column = Column(index=index, name=cell, field=target)
        columns.append(column)
        by_field.setdefault(target, []).append(column)
    problems: list[str] = []
    if not by_field:
        shown = ", ".join(f'"{cell[:30]}"' for cell in header[:5])
        raise HeaderRefused(
            [
                f"no known column in the header ({shown}): is the first line the header? "
                "Known columns include unique_id, first_name, last_name, Bib, Firstname, First"
            ]
        )
    if unknown:
        problems.append(
            f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(unknown[:20])}"
            + (f" and {len(unknown) - 20} more" if len(unknown) > 20 else "")
            + " (rename to a known column, or --ignore-unknown to skip)"
        )
    for target, found in by_field.items():
        if len(found) > 1:
            names = " and ".join(f'"{c.name}"' for c in found)
            problems.append(f"{names} are both {target}: keep one")
    if ("first_name" in by_field) != ("last_name" in by_field):
        missing = "last_name" if "first_name" in by_field else "first_name"
        problems.append(f"a file with one name column needs the other too: add {missing}")
    if match == "bib" and "start_number" not in by_field:
        problems.append("--match bib needs a bib column (start_number, Bib, bib_num)")
    if problems:
        raise HeaderRefused(problems)
    if match == "bib" and "unique_id" in by_field:
        column = by_field["unique_id"][0]
        columns.remove(column)
        warnings.append(f'"{column.name}" ignored: --match bib finds runners by their bib')
    return HeaderPlan(columns=columns, warnings=warnings, width=len(header), named_width=named + 1)

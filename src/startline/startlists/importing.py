"""Importing a start list: the file's rows become the participant domain's writes (its
writer and clash judge, the same as every other door's), in one transaction, all or nothing
unless `partial`; a dry run is the same write rolled back. Every refused row is reported
with its file line, column, value and reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, BinaryIO, Literal

from startline.db.engine import Database
from startline.domain.participants.rules import max_length
from startline.domain.participants.service import Mode, RunnerProblem, RunnerWrite, write_runners
from startline.heap import collector_paused
from startline.startlists.events import EditionEvents, edition_events
from startline.startlists.headers import HeaderPlan, is_known, normalize, plan_header
from startline.startlists.reading import (
    UNDECODABLE,
    Delimiter,
    Encoding,
    FileRefused,
    Records,
    open_records,
)
from startline.startlists.values import (
    DateFormat,
    Parser,
    Refused,
    parse_country,
    parse_gender,
    parse_state,
    parse_status,
    text_parser,
)

Match = Literal["unique_id", "bib"]
MODES: tuple[Mode, ...] = ("upsert", "add", "update")
MATCHES: tuple[Match, ...] = ("unique_id", "bib")
MAX_VALUE_SHOWN = 200  # characters of a cell quoted in an error


class ImportRefused(Exception):
    """The import cannot start (options, the edition, the file as a whole); nothing written.
    `problems` holds every reason when there are several (a header's)."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = problems or [message]
        super().__init__(message)


class TooManyRows(ImportRefused):
    """More rows than the door accepts in one import (HTTP: the batch item limit)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"more than {limit:,} rows in one import")


@dataclass(frozen=True)
class ImportOptions:
    edition_id: int
    event: str | None = None  # the event of rows without one (name or id)
    mode: Mode = "upsert"
    match: Match = "unique_id"
    dry_run: bool = False
    partial: bool = False
    delimiter: Delimiter = "auto"
    encoding: Encoding = "auto"
    date_format: str | None = None
    ignore_unknown: bool = False
    max_rows: int | None = None


@dataclass(frozen=True)
class RowError:
    line: int
    column: str | None  # the header cell as written; None for the row as a whole
    value: str | None
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "column": self.column,
            "value": self.value,
            "reason": self.reason,
        }

    def as_text(self) -> str:
        where = f"line {self.line}"
        if self.column is not None:
            where += f", {self.column}"
        if self.value is not None:
            where += f" {_quoted(self.value)}"
        return f"{where}: {self.reason}"


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False
    partial: bool = False
    written: bool = False  # whether the import committed (a dry run never does)
    encoding: str = ""
    delimiter: str = ""
    # Ordinals (0-based, among the records after the header) of the rows not written,
    # with why: what a rejects file holds.
    not_written: dict[int, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "refused": self.refused,
            "errors": [error.as_json() for error in self.errors],
            "warnings": self.warnings,
            "dry_run": self.dry_run,
            "written": self.written,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
        }

    @property
    def message(self) -> str:
        """What happened, in one sentence."""
        if self.refused:
            rows = "row" if self.refused == 1 else "rows"
            if self.written:
                outcome = "the others were written"
            elif self.dry_run and self.partial and self.refused < self.rows:
                outcome = "the others would be written (dry run: nothing was written)"
            else:
                outcome = "nothing was written"
            return f"{self.refused} {rows} refused; {outcome}."
        return "Nothing was written (dry run)." if self.dry_run else "Imported."

    def document(self) -> dict[str, Any]:
        """The report as both doors give it to scripts (HTTP's body, the CLI's --json)."""
        return {"message": self.message, **self.as_json()}


class Progress:
    """What an import tells a watcher (the CLI's progress bar); silent by default."""

    def reading(self, rows: int, position: int) -> None:
        """`rows` rows read, `position` bytes of the file consumed."""

    def writing(self, rows: int) -> None:
        """Every row is read; `rows` are being written."""


def _quoted(value: str) -> str:
    shown = value if len(value) <= MAX_VALUE_SHOWN else value[:MAX_VALUE_SHOWN] + "…"
    return '"' + shown.replace(UNDECODABLE, "\ufffd") + '"'


def _shown(value: str) -> str:
    shown = value if len(value) <= MAX_VALUE_SHOWN else value[:MAX_VALUE_SHOWN] + "…"
    return shown.replace(UNDECODABLE, "\ufffd")


# --- reading rows ------------------------------------------------------------------------

# How an empty cell reads, per field.
_CLEARS = frozenset(
    {"start_number", "chip_code", "date_of_birth", "gender", "country_code", "team_name"}
)
_NAMES = frozenset({"first_name", "last_name"})
_TEXT_FIELDS = frozenset({"unique_id", "start_number", "chip_code", "team_name"}) | _NAMES
_MEMO_LIMIT = 100_000  # distinct cells remembered per column (dates, genders, events ...)


@dataclass(frozen=True, slots=True)
class _Bad:
    """A remembered refusal of a cell value."""

    reason: str


@dataclass(slots=True)
class _Column:
    index: int
    name: str
    target: str  # the RunnerWrite value name ("event_id" for the event, "state" for status)
    text_limit: int  # > 0: a text field with this longest length
    parse: Parser  # the full reading (for text: the domain's rules with their reasons)
    memo: dict[str, Any]  # cell -> value or _Bad, for the non-text fields


class _Converter:
    """Turns one record into a RunnerWrite, or the row errors that refuse it. The hot loop
    of an import: a text cell that is printable and short enough is taken as it is (the
    domain rules can only refuse it for being too long or holding a control character),
    every other cell is read once per distinct value."""

    def __init__(
        self,
        *,
        plan: HeaderPlan,
        events: EditionEvents,
        default_event: int | None,
        match: Match,
        encoding: str,
        date_format: DateFormat,
    ) -> None:
        self.plan = plan
        self.events = events
        self.default_event = default_event
        self.match = match
        self.encoding = encoding
        parsers: dict[str, Parser] = {
            "date_of_birth": date_format,
            "gender": parse_gender,
            "country_code": parse_country,
            "state": parse_state,
            "status": parse_status,
        }
        self.columns: list[_Column] = []
        for column in plan.columns:
            target = column.field
            limit = 0
            if target in _TEXT_FIELDS:
                parse = text_parser(target)
                limit = max_length(target) or 0
            elif target == "event":
                parse = self._event_parser(normalize(column.name) == "eventid")
                target = "event_id"
            else:
                parse = parsers[target]
                target = "state" if target == "status" else target
            self.columns.append(_Column(column.index, column.name, target, limit, parse, {}))
        # The hot loop's view of the columns: plain tuples (no attribute lookups per cell).
        self._loop = [(c.index, c.target, c.text_limit, c.memo, c) for c in self.columns]

    def _event_parser(self, id_first: bool) -> Parser:
        def parse(cell: str) -> int:
            found = self.events.resolve(cell, id_first=id_first)
            if found is None:
                raise Refused(
                    f"no such event in this edition (its events: {self.events.described()})"
                )
            return found

        return parse

    def convert(self, line: int, fields: list[str]) -> RunnerWrite | list[RowError]:
        width = self.plan.width
        if len(fields) != width and (
            len(fields) < self.plan.named_width or "".join(fields[width:]).strip()
        ):
            extra = " (a delimiter inside a value needs quotes)" if len(fields) > width else ""
            reason = f"{len(fields):,} fields where the header has {width:,}{extra}"
            return [RowError(line, None, None, reason)]
        values: dict[str, Any] = {}
        errors: list[RowError] | None = None
        # Every planned column is named, so a row this long holds all of them.
        for index, target, limit, memo, column in self._loop:
            cell = fields[index].strip()
            if not cell:
                if target in _CLEARS:
                    values[target] = None
                elif target in _NAMES:
                    errors = errors or []
                    errors.append(RowError(line, column.name, "", "must not be empty"))
                continue
            if limit:
                if len(cell) <= limit and cell.isprintable():
                    values[target] = cell
                    continue
                found: Any = self._read(column.parse, cell)
            else:
                found = memo.get(cell, _MISSING)
                if found is _MISSING:
                    found = self._read(column.parse, cell)
                    if len(memo) < _MEMO_LIMIT:
                        memo[cell] = found
            if type(found) is _Bad:
                errors = errors or []
                errors.append(RowError(line, column.name, _shown(cell), found.reason))
            elif found is not None or target != "state":  # a status that keeps the state
                values[target] = found
        if errors:
            return errors
        if self.default_event is not None and "event_id" not in values:
            values["event_id"] = self.default_event
        key = values.pop("unique_id", None)
        if self.match == "bib":
            bib = values.get("start_number")
            if bib is None:
                column_of = self.plan.column_of("start_number")
                name = column_of.name if column_of else "start_number"
                return [RowError(line, name, "", "--match bib needs a bib on every row")]
            return RunnerWrite(values=values, bib=bib)
        return RunnerWrite(values=values, unique_id=key)

    def _read(self, parse: Parser, cell: str) -> Any:
        """The value of a cell, or _Bad with the reason (bytes the encoding could not read
        are named as such, whatever the field)."""
        if UNDECODABLE in cell:
            return _Bad(f"bytes that are not {self.encoding}")
        try:
            return parse(cell)
        except Refused as exc:
            return _Bad(str(exc))


_MISSING = object()


# --- the import ----------------------------------------------------------------------------


class _RollBack(Exception):
    """Leave the write transaction without committing (a dry run, a refused strict import)."""


_REASONS: dict[tuple[str, str], str] = {
    ("unique_id", "listed_twice"): "listed twice in this file",
    ("start_number", "taken"): "already taken by another runner (in the edition or this file)",
    ("chip_code", "taken"): "already taken by another runner (in the edition or this file)",
    ("unique_id", "not_found"): "no runner with this unique_id in the edition",
    ("start_number", "not_found"): "no runner with this bib in the edition",
    ("unique_id", "exists"): "already in the edition (--mode add only adds new runners)",
    ("start_number", "exists"): "already in the edition (--mode add only adds new runners)",
    ("event_id", "required"): "a new runner needs an event: an event column or --event",
    ("first_name", "required"): "a new runner needs a first name",
    ("last_name", "required"): "a new runner needs a last name",
    ("event_id", "unknown_event"): "the event is gone from this edition",
}


def open_source(raw: BinaryIO, options: ImportOptions) -> Records:
    """The file opened as CSV with the options' encoding and delimiter."""
    try:
        return open_records(
            raw, encoding=options.encoding, delimiter=options.delimiter, known=is_known
        )
    except FileRefused as exc:
        raise ImportRefused(str(exc)) from None


def import_start_list(
    db: Database,
    raw: BinaryIO,
    options: ImportOptions,
    progress: Progress | None = None,
) -> ImportReport:
    """Import the CSV file `raw` (binary, seekable) into `options.edition_id`."""
    with collector_paused():
        return _import(db, raw, options, progress or Progress())


def _import(
    db: Database, raw: BinaryIO, options: ImportOptions, progress: Progress
) -> ImportReport:
    from startline.domain.participants.errors import EditionNotFound
    from startline.startlists.headers import HeaderRefused

    try:
        date_format = DateFormat(options.date_format)
    except ValueError as exc:
        raise ImportRefused(str(exc)) from None
    if options.match == "bib" and options.mode == "add":
        raise ImportRefused("--match bib only finds existing runners: use --mode update or upsert")
    records = open_source(raw, options)
    try:
        plan = plan_header(
            records.header, ignore_unknown=options.ignore_unknown, match=options.match
        )
    except HeaderRefused as exc:
        raise ImportRefused(
            f"line {records.header_line}: {exc}",
            [f"line {records.header_line}: {problem}" for problem in exc.problems],
        ) from None
    try:
        with db.reading() as session:
            events = edition_events(session, options.edition_id)
    except EditionNotFound as exc:
        raise ImportRefused(str(exc)) from None
    default_event = None
    if options.event is not None:
        default_event = events.resolve(options.event.strip())
        if default_event is None:
            raise ImportRefused(
                f"--event {options.event!r} is not an event of edition {options.edition_id} "
                f"(its events: {events.described()})"
            )
    converter = _Converter(
        plan=plan,
        events=events,
        default_event=default_event,
        match=options.match,
        encoding=records.encoding,
        date_format=date_format,
    )
    warnings = list(plan.warnings)
    if options.match == "unique_id" and plan.column_of("unique_id") is None:
        warnings.append(
            "no key column (unique_id, registration_id or ID): every row is a new runner "
            "(--match bib updates runners found by their bib)"
        )
    report = ImportReport(
        warnings=warnings,
        dry_run=options.dry_run,
        partial=options.partial,
        encoding=records.encoding,
        delimiter=records.delimiter,
    )
    writes: list[RunnerWrite] = []
    write_lines: list[int] = []  # file line of each write
    write_ordinals: list[int] = []
    for ordinal, (line, fields) in enumerate(records.rows):
        if options.max_rows is not None and ordinal >= options.max_rows:
            raise TooManyRows(options.max_rows)
        converted = converter.convert(line, fields)
        if isinstance(converted, RunnerWrite):
            writes.append(converted)
            write_lines.append(line)
            write_ordinals.append(ordinal)
        else:
            report.errors.extend(converted)
            report.not_written[ordinal] = _reason_of(converted)
        if ordinal % 1000 == 999:
            progress.reading(ordinal + 1, records.position())
    report.rows = len(writes) + len(report.not_written)
    if report.rows == 0:
        raise ImportRefused(f"the file has a header (line {records.header_line}) but no rows")
    progress.reading(report.rows, records.position())
    progress.writing(len(writes))
    _write(db, options, writes, write_lines, write_ordinals, plan, report)
    report.errors.sort(key=lambda e: (e.line, _column_order(plan, e.column)))
    report.refused = len(report.not_written)
    if report.refused and not report.written:
        # All or nothing: every row is unwritten; the rejects file holds them all, so
        # fixing it and importing it again completes the import.
        for ordinal in range(report.rows):
            report.not_written.setdefault(ordinal, ALL_OR_NOTHING)
    return report


ALL_OR_NOTHING = "not imported: other rows were refused and the import is all or nothing"


def _write(
    db: Database,
    options: ImportOptions,
    writes: list[RunnerWrite],
    lines: list[int],
    ordinals: list[int],
    plan: HeaderPlan,
    report: ImportReport,
) -> None:
    """One transaction: the domain's write, committed only when the import may commit."""
    from startline.domain.participants.errors import EditionNotFound

    read_errors = bool(report.errors)
    try:
        with db.transaction() as session:
            outcome = write_runners(
                session,
                edition_id=options.edition_id,
                writes=writes,
                origin="csv",
                mode=options.mode,
                partial=options.partial,
            )
            by_write: dict[int, list[RowError]] = {}
            for problem in outcome.problems:
                by_write.setdefault(problem.index, []).append(
                    _problem_error(problem, writes[problem.index], lines[problem.index], plan)
                )
            for index, errors in by_write.items():
                report.errors.extend(errors)
                report.not_written[ordinals[index]] = _reason_of(errors)
            all_good = not read_errors and not outcome.problems
            if outcome.written and (options.partial or all_good):
                report.created = outcome.created
                report.updated = outcome.updated
                report.unchanged = outcome.unchanged
            else:
                raise _RollBack
            if options.dry_run:
                raise _RollBack
            report.written = True
    except _RollBack:
        pass
    except EditionNotFound as exc:  # deleted since the file was read
        raise ImportRefused(str(exc)) from None


def _problem_error(
    problem: RunnerProblem, write: RunnerWrite, line: int, plan: HeaderPlan
) -> RowError:
    target = "event" if problem.field == "event_id" else problem.field
    column = plan.column_of(target)
    if problem.field == "unique_id" and write.unique_id is not None:
        value: str | None = write.unique_id
    elif problem.field == "start_number" and write.bib is not None:
        value = write.bib
    else:
        stored = write.values.get(problem.field)
        value = None if stored is None else str(stored)
    if problem.field == "event_id" and column is not None:
        value = None  # the event column was empty on this row
    reason = _REASONS.get((problem.field, problem.reason), problem.reason.replace("_", " "))
    return RowError(line, column.name if column else target, value, reason)


def _reason_of(errors: list[RowError]) -> str:
    """The reasons of one row in one cell of a rejects file."""
    parts = []
    for error in errors:
        where = error.column or ""
        if where and error.value:
            where += f" {_quoted(error.value)}"
        parts.append(f"{where}: {error.reason}" if where else error.reason)
    return "; ".join(parts)


def _column_order(plan: HeaderPlan, column: str | None) -> int:
    if column is None:
        return -1
    for planned in plan.columns:
        if planned.name == column:
            return planned.index
    return len(plan.columns) + 1

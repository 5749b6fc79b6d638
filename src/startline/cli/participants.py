"""`startline participants`: start lists in and out as CSV files, and removing one runner.
Import and export are the same engine, options and report as
`/api/v1/editions/{id}/participants.csv` (startline.startlists): the flags are read by the
rules the query parameters are read by, and `--json` prints the HTTP report."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any, BinaryIO, cast

import typer

from startline.cli.errors import fail
from startline.cli.options import JsonFlag, command_group
from startline.cli.output import text

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from startline.settings import Settings
    from startline.startlists.importing import ImportReport
    from startline.startlists.options import Lookup

app = command_group("Runners: start lists in and out as CSV files; removing a runner.")

# Exit codes: 0 every row imported; 1 a mistake (one `error:` line, nothing written);
# 2 rows were refused (the report says which; with --partial the others were written).
EXIT_REFUSED = 2


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="participants")


Edition = Annotated[int, typer.Option("--edition", metavar="EDITION", help="The edition id.")]


def _lookup(given: dict[str, Any]) -> Lookup:
    """The flags as the shared option rules read them: text as given, a set flag "true"."""

    def lookup(name: str) -> str | None:
        value = given.get(name)
        if value is None or value is False:
            return None
        return "true" if value is True else str(value)

    return lookup


def _options_error(errors: dict[str, list[str]]) -> str:
    """The shared rules' messages as one line naming the flags."""
    found = [
        f"--{name}: {message[:1].lower()}{message[1:].rstrip('.')}"
        for name, messages in errors.items()
        for message in messages
    ]
    return "; ".join(found)


# --- import --------------------------------------------------------------------------------


@app.command("import")
def participants_import(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The CSV file.")],
    edition: Edition,
    event: Annotated[
        str | None,
        typer.Option(metavar="NAME|ID", help="The event of rows without an event column."),
    ] = None,
    mode: Annotated[
        str | None,
        typer.Option(
            metavar="upsert|add|update",
            help="upsert (default): add new runners and update known ones; add: only new "
            "ones; update: only known ones.",
        ),
    ] = None,
    match: Annotated[
        str | None,
        typer.Option(
            metavar="unique_id|bib",
            help="How a row finds its runner (default unique_id; bib only finds existing runners).",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check everything and report; write nothing.")
    ] = False,
    partial: Annotated[
        bool,
        typer.Option(
            "--partial",
            help="Write the good rows even when others are refused (default: all or nothing).",
        ),
    ] = False,
    rejects: Annotated[
        Path | None,
        typer.Option(
            metavar="OUT.csv",
            help="Write the rows not imported there, with a reason column; fixed, the file "
            "imports again.",
        ),
    ] = None,
    delimiter: Annotated[
        str | None, typer.Option(metavar="auto|,|;|tab", help="The delimiter (default: auto).")
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(
            metavar="auto|utf-8|utf-16|cp1252", help="The file's encoding (default: auto)."
        ),
    ] = None,
    date_format: Annotated[
        str | None,
        typer.Option(
            metavar="DD/MM/YYYY",
            help="How dates with this separator are written (default: YYYY-MM-DD, DD.MM.YYYY "
            "and MM/DD/YYYY).",
        ),
    ] = None,
    ignore_unknown: Annotated[
        bool,
        typer.Option("--ignore-unknown", help="Skip unknown columns instead of refusing the file."),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Import a start list from a CSV file (RACE RESULT, RunSignup, OpenSplitTime, Excel or
    startline's own columns) into an edition. Exit code 2 when rows were refused."""
    from startline.cli.database import command_settings, database_errors, open_database
    from startline.cli.progress import import_progress
    from startline.startlists.importing import ImportRefused, import_start_list
    from startline.startlists.options import OptionsInvalid, import_options

    given = {
        "event": event,
        "mode": mode,
        "match": match,
        "dry-run": dry_run,
        "partial": partial,
        "delimiter": delimiter,
        "encoding": encoding,
        "date-format": date_format,
        "ignore-unknown": ignore_unknown,
    }
    try:
        options = import_options(edition, _lookup(given))
    except OptionsInvalid as exc:
        fail(_options_error(exc.errors))
    settings = command_settings()
    with (
        _readable(file) as raw,
        _file_beside(rejects, "--rejects", "w") if rejects else nullcontext() as rejects_out,
        open_database(settings) as database,
        database_errors(settings),
    ):
        try:
            with import_progress(raw) as progress:
                report = import_start_list(database, raw, options, progress)
        except ImportRefused as exc:
            fail("; ".join(exc.problems))
        rejected = None
        if rejects_out is not None:
            from startline.startlists.rejects import write_rejects

            raw.seek(0)
            rejected = write_rejects(raw, options, report, rejects_out)
    if as_json:
        import json

        print(json.dumps(report.document()))
    else:
        _print_report(report, file, edition, rejects, rejected)
    if report.refused:
        raise typer.Exit(EXIT_REFUSED)


@contextmanager
def _readable(file: Path) -> Iterator[BinaryIO]:
    """The file to import, seekable (a pipe or process substitution is spooled first)."""
    if file.is_dir():
        fail(f"{file} is a directory, not a CSV file")
    with open(file, "rb") as raw:
        if raw.seekable():
            yield raw
            return
        with tempfile.SpooledTemporaryFile(max_size=8 * 2**20) as spooled:
            while chunk := raw.read(2**20):
                spooled.write(chunk)
            spooled.seek(0)
            yield cast(BinaryIO, spooled)


@contextmanager
def _file_beside(path: Path, option: str, mode: str) -> Iterator[IO[Any]]:
    """A new file beside `path`, moved onto it when the block ends without an error: a failed
    command leaves no half-written file and an older file as it was. Private (0600), as a
    start list holds personal data."""
    if path.is_dir():
        fail(f"{option} {path} is a directory")
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (moved or removed below)
        mode,
        encoding=None if "b" in mode else "utf-8",
        newline=None if "b" in mode else "",
        dir=path.parent,
        prefix=f".{path.name}.",
        delete=False,
    )
    try:
        with handle:
            yield handle
        os.replace(handle.name, path)
    finally:
        if os.path.exists(handle.name):
            os.unlink(handle.name)


# --- the report ----------------------------------------------------------------------------


def _print_report(
    report: ImportReport, file: Path, edition: int, rejects: Path | None, rejected: int | None
) -> None:
    from startline.startlists.options import delimiter_name

    if report.written:
        title = f"imported {text(str(file))} into edition {edition}"
    elif report.dry_run:
        title = f"dry run of {text(str(file))} into edition {edition}: nothing written"
    else:
        title = f"nothing imported from {text(str(file))} into edition {edition}"
    lines = [
        f"{title} ({report.encoding}, delimiter {delimiter_name(report.delimiter)})",
        *(
            f"  {name:<9}  {value:,}"
            for name, value in (
                ("rows", report.rows),
                ("created", report.created),
                ("updated", report.updated),
                ("unchanged", report.unchanged),
                ("refused", report.refused),
            )
        ),
        *(f"warning: {text(warning)}" for warning in report.warnings),
        *(text(error.as_text()) for error in report.errors),
    ]
    if rejects is not None and rejected is not None:
        rows = "row" if rejected == 1 else "rows"
        lines.append(f"rejects: {rejected:,} {rows} written to {text(str(rejects))}")
    lines.append(report.message)
    print("\n".join(lines))


# --- export --------------------------------------------------------------------------------


@app.command("export")
def participants_export(
    edition: Edition,
    event: Annotated[
        str | None, typer.Option(metavar="NAME|ID", help="Only this event's runners.")
    ] = None,
    columns: Annotated[
        str | None,
        typer.Option(
            metavar="tracx|runsignup|raceresult",
            help="The column family (default: tracx, startline's own columns).",
        ),
    ] = None,
    excel: Annotated[
        bool, typer.Option("--excel", help="For Excel: a UTF-8 BOM and `;` between columns.")
    ] = False,
    delimiter: Annotated[
        str | None,
        typer.Option(metavar=",|;|tab", help="The delimiter (default: `,`; `;` with --excel)."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", metavar="FILE", help="Write here (default: stdout)."),
    ] = None,
) -> None:
    """Export an edition's start list as CSV (UTF-8). Importing it back changes nothing."""
    from startline.cli.database import command_settings, database_errors, open_database
    from startline.startlists.exporting import ExportRefused, export_chunks, prepare_export
    from startline.startlists.options import OptionsInvalid, export_options

    given = {"event": event, "columns": columns, "excel": excel, "delimiter": delimiter}
    try:
        asked = export_options(_lookup(given))
    except OptionsInvalid as exc:
        fail(_options_error(exc.errors))
    settings = command_settings()
    counted: list[int] = []
    with open_database(settings) as database, database_errors(settings):
        try:
            events, event_id = prepare_export(database, edition_id=edition, event=asked.event)
        except ExportRefused as exc:
            fail(str(exc))
        chunks = export_chunks(
            database,
            edition_id=edition,
            event_id=event_id,
            family=asked.family,
            excel=asked.excel,
            delimiter=asked.delimiter,
            events=events,
            counted=counted,
        )
        if output is None:
            _to_stdout(chunks)
            return
        with _file_beside(output, "-o", "wb") as out:
            for chunk in chunks:
                out.write(chunk)
    count = counted[0]
    print(
        f"exported {count:,} runner{'' if count == 1 else 's'} of edition {edition} "
        f"to {text(str(output))}"
    )


def _to_stdout(chunks: Iterator[bytes]) -> None:
    out = sys.stdout.buffer
    try:
        for chunk in chunks:
            out.write(chunk)
        out.flush()
    except BrokenPipeError:  # `| head`: the reader has had enough
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes at exit
        raise typer.Exit(0) from None


# --- delete --------------------------------------------------------------------------------


@app.command("delete")
def participants_delete(
    unique_id: Annotated[
        str, typer.Argument(metavar="UNIQUE_ID", help="The runner's unique_id in the edition.")
    ],
    edition: Edition,
    as_json: JsonFlag = False,
) -> None:
    """Remove one runner from an edition. Journaled as participant.deleted, so the change
    feed, webhooks and the live pages see it go."""
    from startline.cli.database import run
    from startline.domain.participants.service import delete_participant

    def action(session: Session, _: Settings) -> dict[str, Any]:
        participant_id = delete_participant(session, edition_id=edition, unique_id=unique_id)
        return {
            "edition_id": edition,
            "unique_id": unique_id,
            "participant_id": participant_id,
            "deleted": True,
        }

    run(action, as_json=as_json, title="runner deleted")

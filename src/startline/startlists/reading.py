"""Reading a CSV file as it comes: the encoding (BOM, else UTF-8, else cp1252, decided on the
first 64 KiB), the delimiter (`,` `;` or tab, chosen by which one splits the header into
columns we know), and the records with the file line each starts on. Streams: the file is
read in buffered chunks and never held whole.

Bytes after the first 64 KiB that the chosen encoding cannot read become the marker
UNDECODABLE in the text, so the record holding them is refused with its line, not the file."""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Literal, Protocol

HEAD_BYTES = 64 * 1024
MAX_LINE_CHARS = 1024 * 1024  # one physical line; a longer one is not a start list
MAX_COLUMNS = 1000

Encoding = Literal["auto", "utf-8", "utf-16", "cp1252"]
Delimiter = Literal["auto", ",", ";", "\t"]
ENCODINGS: tuple[Encoding, ...] = ("auto", "utf-8", "utf-16", "cp1252")
DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}

# What an undecodable byte sequence reads as: a lone surrogate, which no decoded text holds.
UNDECODABLE = "\udcff"
_ERRORS = "startline.undecodable"


def _mark_undecodable(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    return UNDECODABLE, error.end


codecs.register_error(_ERRORS, _mark_undecodable)


class _Reader(Protocol):
    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...


class FileRefused(Exception):
    """The file as a whole cannot be read as a start list (nothing is imported)."""


@dataclass
class Records:
    """An open CSV file: how it was read, its header, and its records."""

    encoding: str  # "utf-8", "utf-16" or "cp1252"
    bom: bool
    delimiter: str
    header: list[str]
    header_line: int
    # (line the record starts on, fields), blank lines and all-empty records skipped.
    rows: Iterator[tuple[int, list[str]]]
    position: Callable[[], int]  # bytes of the file read so far (for progress)


def open_records(
    raw: BinaryIO,
    *,
    encoding: Encoding = "auto",
    delimiter: Delimiter = "auto",
    known: Callable[[str], bool] = lambda _: False,
) -> Records:
    """Open `raw` (a seekable binary file, read from its current start) as CSV. `known`
    tells whether a header cell is a column name we know (it decides the delimiter)."""
    start = raw.tell()
    head = raw.read(HEAD_BYTES)
    raw.seek(start)
    codec, bom = _encoding_of(head, encoding)
    text = io.TextIOWrapper(raw, encoding=codec, errors=_ERRORS, newline="")
    lines = _lines(text)
    chosen = delimiter if delimiter != "auto" else _sniff(_decoded_head(head, codec), known)
    reader = csv.reader(lines, delimiter=chosen, quotechar='"', doublequote=True, strict=False)
    rows = _records(reader)
    header_line, header = _first(rows)
    if not any(cell.strip() for cell in header):
        raise FileRefused("the file is empty")
    if len(header) > MAX_COLUMNS:
        raise FileRefused(f"line {header_line}: {len(header)} columns; at most {MAX_COLUMNS}")
    if delimiter != "auto" and len(header) == 1:
        _refuse_one_column(header[0], chosen, known)
    name = "utf-8" if codec == "utf-8-sig" else codec
    return Records(
        encoding=name,
        bom=bom,
        delimiter=chosen,
        header=header,
        header_line=header_line,
        rows=rows,
        position=raw.tell,
    )


def _encoding_of(head: bytes, asked: Encoding) -> tuple[str, bool]:
    """(Python codec, whether the file starts with a BOM)."""
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise FileRefused("this is an Excel workbook, not a CSV file: save it as CSV (UTF-8)")
    utf8_bom = head.startswith(codecs.BOM_UTF8)
    utf16_bom = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if asked == "utf-16" or (asked == "auto" and utf16_bom):
        if not utf16_bom:
            raise FileRefused("a UTF-16 file must start with a byte order mark (BOM)")
        return "utf-16", True
    if utf16_bom:
        raise FileRefused(f"the file is UTF-16 (it starts with its BOM), not {asked}")
    if b"\x00" in head:
        raise FileRefused(
            "not a text file (it holds NUL bytes); a UTF-16 file needs its byte order mark"
        )
    if asked == "cp1252":
        return "cp1252", False
    if asked == "utf-8" or utf8_bom:
        return "utf-8-sig", utf8_bom
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=len(head) < HEAD_BYTES)
    except UnicodeDecodeError:
        return "cp1252", False
    return "utf-8-sig", False


def _decoded_head(head: bytes, codec: str) -> str:
    decoder = codecs.getincrementaldecoder(codec)(errors=_ERRORS)
    return str(decoder.decode(head, final=False))


def _lines(text: io.TextIOWrapper) -> Iterator[str]:
    """The physical lines of `text`, refusing one too long to be a start list's."""
    readline = text.readline
    try:
        while True:
            line = readline(MAX_LINE_CHARS)
            if not line:
                return
            if len(line) == MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
                raise FileRefused(
                    f"a line is longer than {MAX_LINE_CHARS:,} characters: not a start list"
                )
            yield line
    finally:
        # The caller's file stays open (a wrapper closes it when collected), unless the
        # caller has closed it already.
        with contextlib.suppress(ValueError):
            text.detach()


def _records(reader: _Reader) -> Iterator[tuple[int, list[str]]]:
    """(start line, fields) of every record that holds anything. A record starts on the
    line after the last one the reader had consumed (blank lines included)."""
    last = 0
    try:
        for fields in reader:
            start, last = last + 1, reader.line_num
            if fields and (fields[0].strip() or "".join(fields).strip()):
                yield start, fields
    except csv.Error as exc:
        raise FileRefused(f"line {reader.line_num}: {exc}") from None


def _first(rows: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str]]:
    for line, fields in rows:
        return line, fields
    raise FileRefused("the file is empty")


def _sniff(head: str, known: Callable[[str], bool]) -> str:
    """The delimiter that splits the first records into the most columns we know; then the
    one that splits the header at all; then the one giving the most regular record widths."""
    best, best_score = ",", (-1, -1, -1.0)
    for candidate in DELIMITERS:
        records = _sample(head, candidate)
        if not records:
            continue
        header = records[0]
        widths = [len(r) for r in records[1:]]
        regular = sum(1 for w in widths if w == len(header)) / len(widths) if widths else 1.0
        score = (sum(1 for cell in header if known(cell)), min(len(header), 2), regular)
        if score > best_score:
            best, best_score = candidate, score
    return best


def _sample(head: str, delimiter: str, limit: int = 50) -> list[list[str]]:
    lines = head.splitlines(keepends=True)
    if len(lines) > 1:
        lines = lines[:-1]  # the last line of the head may be cut short
    reader = csv.reader(lines, delimiter=delimiter, strict=False)
    sample: list[list[str]] = []
    try:
        for fields in reader:
            if fields and any(cell.strip() for cell in fields):
                sample.append(fields)
                if len(sample) >= limit:
                    break
    except csv.Error:
        pass
    return sample


def _refuse_one_column(cell: str, chosen: str, known: Callable[[str], bool]) -> None:
    """A header read as one column that another delimiter would split into known columns:
    the delimiter asked for is wrong (a `;` file must never become one column "a;b;c")."""
    for other in DELIMITERS:
        if other != chosen and other in cell:
            parts = next(csv.reader([cell], delimiter=other), [])
            if any(known(part) for part in parts):
                raise FileRefused(
                    f"with --delimiter {DELIMITER_NAMES[chosen]} the header is one column "
                    f"{cell[:60]!r}; the file looks {DELIMITER_NAMES[other]}-delimited"
                )

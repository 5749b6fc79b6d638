"""The rejects file: every row an import did not write, as it was in the file, with a
`reason` column (first, so it stays put whatever the width of a row; a rejects file's own
reason column is reused); fixed and imported again, it completes the import (the importer ignores
the reason column). Written in UTF-8 with a BOM and the file's own delimiter, so a
spreadsheet opens it as it opened the original."""

from __future__ import annotations

import codecs
import csv
from typing import IO, BinaryIO

from startline.startlists.headers import REASON, normalize
from startline.startlists.importing import ImportOptions, ImportReport, open_source
from startline.startlists.reading import UNDECODABLE


def write_rejects(raw: BinaryIO, options: ImportOptions, report: ImportReport, out: IO[str]) -> int:
    """Write the rows of `raw` (read again from its start, the same way as the import) that
    `report` did not write to `out`, a text file opened with newline=""; how many."""
    records = open_source(raw, options)
    header = list(records.header)
    keys = [normalize(cell) for cell in header]
    reason_at = keys.index(REASON) if REASON in keys else None
    if reason_at is None:
        header.insert(0, REASON)
    out.write(codecs.BOM_UTF8.decode())
    writer = csv.writer(out, delimiter=records.delimiter, lineterminator="\r\n")
    writer.writerow(header)
    written = 0
    not_written = report.not_written
    for ordinal, (_, fields) in enumerate(records.rows):
        reason = not_written.get(ordinal)
        if reason is None:
            continue
        row = [cell.replace(UNDECODABLE, "\ufffd") for cell in fields]
        if reason_at is None:
            row.insert(0, reason)
        else:
            row += [""] * (reason_at + 1 - len(row))
            row[reason_at] = reason
        writer.writerow(row)
        written += 1
    return written

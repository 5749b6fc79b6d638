"""The uniqueness rule of runners, judged on an edition as a write would leave it: one
unique_id per item, and no bib or chip on two runners (NULLs never clash). Every door (the
Tracx batch, RunSignup's participant POST, CSV imports) is judged here, so swaps inside one
write are allowed and a value taken by another runner is refused the same way everywhere."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from operator import countOf, itemgetter

from startline.domain.participants.errors import Clash, ClashField
from startline.domain.participants.rows import (
    ROW_CHIP_CODE,
    ROW_SETS,
    ROW_START_NUMBER,
    ROW_UNIQUE_ID,
    Row,
)

# unique_id -> (participant id, event id, bib, chip) of an edition's stored runners.
Existing = Mapping[str, tuple[int, int, str | None, str | None]]

_UNIQUE: tuple[tuple[ClashField, int, int], ...] = (
    ("start_number", ROW_START_NUMBER, 2),
    ("chip_code", ROW_CHIP_CODE, 3),
)


def clashes_after(existing: Existing, rows: Sequence[Row]) -> list[Clash]:
    """Clashes on the edition as `rows` would leave it (indexes are positions in `rows`).

    A bib or chip that would end up on two runners is a clash on each item that brings it (a
    new runner, or one whose value changes); an item whose runner already held it is not
    blamed. When every holder brings it (two new runners with one chip), the first keeps it
    and the later ones are the clashes, like a repeated unique_id.

    The edition's after-state is built with zip, map and dict (C speed): every batch of a
    50,000-runner start list is judged here."""
    clashes: list[Clash] = []
    unique_ids = list(map(itemgetter(ROW_UNIQUE_ID), rows))
    index_of = dict(zip(unique_ids, range(len(rows)), strict=True))
    if len(index_of) == len(rows):
        distinct = rows
    else:  # a repeated unique_id: its first item counts, the later ones are clashes
        index_of = {}
        for index, unique_id in enumerate(unique_ids):
            if unique_id in index_of:
                clashes.append(Clash(index, "unique_id"))
            else:
                index_of[unique_id] = index
        distinct = [rows[index] for index in index_of.values()]
    for field, column, held_at in _UNIQUE:
        # held_at picks one of the two value columns (start number, chip) of the tuple.
        after: dict[str, str | None] = dict(
            zip(existing.keys(), map(itemgetter(held_at), existing.values()), strict=True)
        )
        setting = [row for row in distinct if field in row[ROW_SETS]]
        after.update(
            zip(
                map(itemgetter(ROW_UNIQUE_ID), setting),
                map(itemgetter(column), setting),
                strict=True,
            )
        )
        if len(setting) < len(distinct):  # a new runner that does not set it: NULL
            for row in distinct:
                if row[ROW_UNIQUE_ID] not in after:
                    after[row[ROW_UNIQUE_ID]] = None
        values = set(after.values())
        values.discard(None)
        if len(values) == len(after) - countOf(after.values(), None):
            continue  # the common case: no value on two runners
        holders: dict[str, list[str]] = defaultdict(list)
        for unique_id, value in after.items():
            if value is not None:
                holders[value].append(unique_id)
        for value, holder_ids in holders.items():
            if len(holder_ids) < 2:
                continue
            bringers = sorted(
                index_of[u]
                for u in holder_ids
                if u in index_of and (u not in existing or existing[u][held_at] != value)
            )
            keeps_it = len(bringers) < len(holder_ids)
            clashes.extend(Clash(i, field) for i in (bringers if keeps_it else bringers[1:]))
    return clashes

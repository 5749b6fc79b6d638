"""Participant services: insert-or-update one participant or a whole batch of one edition,
keyed on (edition, unique_id), with chip code and start number unique per edition.

Writes are real `INSERT ... ON CONFLICT (edition_id, unique_id) DO UPDATE` statements, so two
simultaneous upserts of one new unique_id give one row. A batch locks its edition row
exclusively (PostgreSQL `FOR NO KEY UPDATE`; SQLite's BEGIN IMMEDIATE already serializes
writers), so its clash checks see the edition exactly as the write will leave it; single
upserts share that lock among themselves (`FOR SHARE`). The unique constraints stay the last
word and their violations are mapped to the same typed clashes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from startline.db.base import utcnow
from startline.domain.participants.bulk import (
    ROW_CHIP_CODE,
    ROW_EVENT,
    ROW_START_NUMBER,
    ROW_UNIQUE_ID,
    moving_ids,
    park_values,
    write_batch,
    write_one,
)
from startline.domain.participants.errors import (
    Clash,
    EditionNotFound,
    ParticipantClash,
    UnknownEvent,
)
from startline.domain.participants.models import Participant
from startline.domain.races.models import Edition, Event
from startline.domain.scopes import is_storable_id

# Optional fields: absent keeps the stored value, None clears it (state: None keeps it).
OPTIONAL_FIELDS = ("country_code", "team_name", "gender", "state")
_OPTIONAL_SET = frozenset(OPTIONAL_FIELDS)


@dataclass(slots=True)  # not frozen: a frozen __init__ costs ~2x on a 50,000-item batch
class ParticipantChange:
    """One participant as sent: the required fields, and the optional ones that were present."""

    event_id: int
    unique_id: str
    first_name: str
    last_name: str
    date_of_birth: date
    start_number: str
    chip_code: str
    optional: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.optional and not _OPTIONAL_SET.issuperset(self.optional):
            unknown = sorted(set(self.optional) - _OPTIONAL_SET)
            raise ValueError(f"not optional participant fields: {unknown}")

    def updated_fields(self) -> tuple[str, ...]:
        """The optional fields this change overwrites on an existing participant."""
        optional = self.optional
        if not optional:
            return ()
        return _updated_fields(tuple(optional), optional.get("state") is None)


@lru_cache(maxsize=1024)
def _updated_fields(present: tuple[str, ...], state_is_null: bool) -> tuple[str, ...]:
    return tuple(
        name
        for name in OPTIONAL_FIELDS
        if name in present and not (name == "state" and state_is_null)
    )


# One change of a batch as a plain tuple: event_id, unique_id, start_number, chip_code,
# first_name, last_name, date_of_birth, country_code, team_name, gender, state (None for
# absent or null), then the optional fields it overwrites. A ParticipantChange object per row
# cost ~3 µs of a batch's ~22 µs per row (measured on 50,000 rows); a tuple costs a tenth.
BatchRow = tuple[Any, ...]


class BatchRows(list[BatchRow]):
    """A batch's changes already as BatchRow tuples (see batch_row); upsert_participants takes
    these as well as ParticipantChange objects."""


def batch_row(
    event_id: int,
    unique_id: str,
    start_number: str,
    chip_code: str,
    first_name: str,
    last_name: str,
    date_of_birth: date,
    optional: Mapping[str, Any],
    present: tuple[str, ...],
) -> BatchRow:
    """A BatchRow. `optional` maps names to values (only OPTIONAL_FIELDS are read from it);
    `present` names every field sent (names outside OPTIONAL_FIELDS are ignored)."""
    state = optional.get("state")
    return (
        event_id,
        unique_id,
        start_number,
        chip_code,
        first_name,
        last_name,
        date_of_birth,
        optional.get("country_code"),
        optional.get("team_name"),
        optional.get("gender"),
        state,
        _updated_fields(present, state is None),
    )


def _row_of(change: ParticipantChange) -> BatchRow:
    optional = change.optional
    return (
        change.event_id,
        change.unique_id,
        change.start_number,
        change.chip_code,
        change.first_name,
        change.last_name,
        change.date_of_birth,
        optional.get("country_code"),
        optional.get("team_name"),
        optional.get("gender"),
        optional.get("state"),
        change.updated_fields(),
    )


@dataclass(frozen=True)
class UpsertOutcome:
    participant: Participant
    created: bool


@dataclass(frozen=True)
class BatchOutcome:
    created: int
    updated: int


# --- writing --------------------------------------------------------------------------------


def upsert_participant(session: Session, *, change: ParticipantChange) -> UpsertOutcome:
    """Insert or update one participant of the edition of `change.event_id`.

    The hot path of a race day (thousands a minute), so its statements are plain SQL at the
    driver: the ORM's per-statement cost was most of a request's CPU (profiled). Single
    upserts of one edition run side by side (PostgreSQL: a shared lock on the edition, which
    only a batch takes exclusively); the unique constraints are the last word, and a
    violation of them is a clash marked `raced`, which the caller may retry once."""
    edition_id = _edition_of_event(session, change.event_id)
    if edition_id is None:
        raise UnknownEvent([0])
    clashes = _clashes_of_one(session, edition_id, change)
    if clashes:
        raise ParticipantClash(clashes)
    now = utcnow()
    try:
        participant = write_one(session, edition_id=edition_id, change=change, now=now)
    except IntegrityError as exc:
        mapped = _clash_from(exc)
        if mapped is None:
            raise
        raise mapped from exc
    # created_at is written only by an insert, and `now` is this request's own instant.
    return UpsertOutcome(participant=participant, created=participant.created_at == now)


def upsert_participants(
    session: Session,
    *,
    edition_id: int,
    changes: Sequence[ParticipantChange] | BatchRows,
) -> BatchOutcome:
    """Insert or update every participant of `changes` in edition `edition_id`, all or none.

    Uniqueness is judged on the edition as it will be after the batch, so two runners may
    swap chips or bibs in one batch; a value that would end up on two participants is a
    clash on each item that brings it (an item that already held it keeps it)."""
    rows = changes if type(changes) is BatchRows else [_row_of(change) for change in changes]
    _lock_edition(session, edition_id)
    event_ids = set(
        session.execute(select(Event.id).where(Event.edition_id == edition_id)).scalars()
    )
    unknown = [i for i, row in enumerate(rows) if row[ROW_EVENT] not in event_ids]
    if unknown:
        raise UnknownEvent(unknown)
    existing = {
        unique_id: (participant_id, start_number, chip_code)
        for participant_id, unique_id, start_number, chip_code in session.connection().execute(
            select(
                Participant.id,
                Participant.unique_id,
                Participant.start_number,
                Participant.chip_code,
            ).where(Participant.edition_id == edition_id)
        )
    }
    clashes = _clashes_after(existing, rows)
    if clashes:
        raise ParticipantClash(clashes)
    if not rows:
        return BatchOutcome(created=0, updated=0)

    # The edition lock makes the checks above exact, so a violation here is a bug: let it out.
    park_values(session, moving_ids(existing, rows))
    write_batch(session, edition_id=edition_id, rows=rows, now=utcnow())
    created = sum(1 for row in rows if row[ROW_UNIQUE_ID] not in existing)
    return BatchOutcome(created=created, updated=len(rows) - created)


# --- reading --------------------------------------------------------------------------------


def participants_of_event(session: Session, *, event_id: int) -> list[Participant]:
    return list(
        session.execute(
            select(Participant).where(Participant.event_id == event_id).order_by(Participant.id)
        ).scalars()
    )


def participants_of_edition(session: Session, *, edition_id: int) -> list[Participant]:
    return list(
        session.execute(
            select(Participant).where(Participant.edition_id == edition_id).order_by(Participant.id)
        ).scalars()
    )


def find_participant(session: Session, *, edition_id: int, unique_id: str) -> Participant | None:
    return session.execute(
        select(Participant).where(
            Participant.edition_id == edition_id, Participant.unique_id == unique_id
        )
    ).scalar_one_or_none()


# --- helpers --------------------------------------------------------------------------------


def _lock_edition(session: Session, edition_id: int) -> None:
    """Serialize writers of one edition (a no-op clause on SQLite, whose writers queue)."""
    if not is_storable_id(edition_id):
        raise EditionNotFound(f"no edition {edition_id}")
    found = session.execute(
        select(Edition.id).where(Edition.id == edition_id).with_for_update(key_share=True)
    ).scalar_one_or_none()
    if found is None:
        raise EditionNotFound(f"no edition {edition_id}")


_EDITION_OF_EVENT = {
    "sqlite": "SELECT edition_id FROM events WHERE id = ?",
    # A shared lock: single upserts of one edition run side by side, a batch (which locks
    # the edition exclusively to judge its after-state) waits for them and they for it.
    "postgresql": (
        "SELECT e.edition_id FROM events e JOIN editions ed ON ed.id = e.edition_id "
        "WHERE e.id = %s FOR SHARE OF ed"
    ),
}
_HOLDERS = {
    "sqlite": (
        "SELECT start_number, chip_code FROM participants WHERE edition_id = ? "
        "AND unique_id <> ? AND (start_number = ? OR chip_code = ?)"
    ),
    "postgresql": (
        "SELECT start_number, chip_code FROM participants WHERE edition_id = %s "
        "AND unique_id <> %s AND (start_number = %s OR chip_code = %s)"
    ),
}


def _edition_of_event(session: Session, event_id: int) -> int | None:
    """The edition of an event, share-locked for this transaction; None if there is none."""
    if not is_storable_id(event_id):
        return None
    connection = session.connection()
    row = connection.exec_driver_sql(
        _EDITION_OF_EVENT[connection.dialect.name], (event_id,)
    ).first()
    return None if row is None else row[0]


def _clashes_of_one(session: Session, edition_id: int, change: ParticipantChange) -> list[Clash]:
    connection = session.connection()
    holders = connection.exec_driver_sql(
        _HOLDERS[connection.dialect.name],
        (edition_id, change.unique_id, change.start_number, change.chip_code),
    ).all()
    clashes = []
    if any(start_number == change.start_number for start_number, _ in holders):
        clashes.append(Clash(0, "start_number"))
    if any(chip_code == change.chip_code for _, chip_code in holders):
        clashes.append(Clash(0, "chip_code"))
    return clashes


def _clashes_after(
    existing: Mapping[str, tuple[int, str, str]], rows: Sequence[BatchRow]
) -> list[Clash]:
    """Clashes on the edition as the batch would leave it."""
    clashes: list[Clash] = []
    index_of: dict[str, int] = {}
    for index, row in enumerate(rows):
        unique_id = row[ROW_UNIQUE_ID]
        if unique_id in index_of:
            clashes.append(Clash(index, "unique_id"))
        else:
            index_of[unique_id] = index
    after = {unique_id: (bib, chip) for unique_id, (_, bib, chip) in existing.items()}
    for unique_id, index in index_of.items():
        row = rows[index]
        after[unique_id] = (row[ROW_START_NUMBER], row[ROW_CHIP_CODE])
    for position, name in enumerate(("start_number", "chip_code")):
        values = [held[position] for held in after.values()]
        if len(set(values)) == len(values):
            continue  # the common case, checked at C speed
        holders: dict[str, list[str]] = defaultdict(list)
        for unique_id, held in after.items():
            holders[held[position]].append(unique_id)
        for value, unique_ids in holders.items():
            if len(unique_ids) < 2:
                continue
            bringers = sorted(
                index_of[u]
                for u in unique_ids
                if u in index_of and (u not in existing or existing[u][1 + position] != value)
            )
            keeps_it = len(bringers) < len(unique_ids)
            clashes.extend(Clash(i, name) for i in (bringers if keeps_it else bringers[1:]))
    return clashes


def _clash_from(exc: IntegrityError) -> Exception | None:
    """The typed error for a constraint violation of a single upsert (the event vanished
    meanwhile, or a value was taken meanwhile), or None if it is none of those."""
    text = str(exc.orig)
    if "foreign key" in text.lower():
        return UnknownEvent([0])
    for name in ("start_number", "chip_code"):
        if name in text:
            return ParticipantClash([Clash(0, name)], raced=True)
    return None

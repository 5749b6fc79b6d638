"""Runner writes, for every door: a single upsert (a timing system's race-day traffic), a
batch of one edition (a start list), and general writes by unique_id, runner id or bib with
modes and partial acceptance (RunSignup's participant POST, CSV imports); and deletion.

Every write is a real `INSERT ... ON CONFLICT (edition_id, unique_id) DO UPDATE`, so two
simultaneous upserts of one new runner give one row, and it only changes a row whose fields
differ (a re-sent runner is no change: no `updated_at`, no journal entry). Batches and
general writes lock their edition exclusively (PostgreSQL `FOR NO KEY UPDATE`; SQLite's
writers are serialized anyway) so their uniqueness is judged exactly on the edition as they
will leave it (clashes.py); single upserts share that lock among themselves (`FOR SHARE`)
and leave the last word to the unique constraints. Every change is journaled in the same
transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from startline.db.base import utcnow
from startline.db.driver import Driver, driver_of
from startline.domain.changes.journal import (
    Entry,
    RunnerRows,
    object_snapshot,
    record,
    record_runner_rows,
    runner_snapshot,
)
from startline.domain.changes.types import ChangeType
from startline.domain.ids import is_storable_id
from startline.domain.participants import sql
from startline.domain.participants.clashes import Existing, clashes_after
from startline.domain.participants.errors import (
    Clash,
    EditionNotFound,
    ParticipantClash,
    ParticipantNotFound,
    UnknownEvent,
)
from startline.domain.participants.models import Participant
from startline.domain.participants.rows import (
    FIELDS,
    ROW_EVENT,
    ROW_UNIQUE_ID,
    Row,
    row,
    sets_of,
    tracx_sets,
)
from startline.domain.participants.search import search_text
from startline.domain.participants.vocabulary import Origin

_CHANGE_TYPES = {
    "created": ChangeType.PARTICIPANT_CREATED,
    "updated": ChangeType.PARTICIPANT_UPDATED,
    "moved": ChangeType.PARTICIPANT_MOVED,
}
# Optional Tracx fields: absent keeps the stored value, None clears it (state: None keeps it).
OPTIONAL_FIELDS = ("country_code", "team_name", "gender", "state")
_OPTIONAL_SET = frozenset(OPTIONAL_FIELDS)


@dataclass(slots=True)
class ParticipantChange:
    """One runner as a Tracx client sends it: the required fields, and the optional ones
    that were present."""

    event_id: int
    unique_id: str
    first_name: str
    last_name: str
    date_of_birth: date | None
    start_number: str | None
    chip_code: str | None
    optional: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.optional and not _OPTIONAL_SET.issuperset(self.optional):
            unknown = sorted(set(self.optional) - _OPTIONAL_SET)
            raise ValueError(f"not optional participant fields: {unknown}")

    def as_row(self) -> Row:
        optional = self.optional
        return row(
            event_id=self.event_id,
            unique_id=self.unique_id,
            start_number=self.start_number,
            chip_code=self.chip_code,
            first_name=self.first_name,
            last_name=self.last_name,
            date_of_birth=self.date_of_birth,
            country_code=optional.get("country_code"),
            team_name=optional.get("team_name"),
            gender=optional.get("gender"),
            state=optional.get("state"),
            search_text=search_text(self.first_name, self.last_name),
            sets=tracx_sets(optional, optional.get("state") is None),
        )


@dataclass(frozen=True)
class UpsertOutcome:
    participant: Participant  # as stored after the write (detached)
    created: bool
    changed: bool  # False: the runner already had exactly these values


@dataclass(frozen=True)
class BatchOutcome:
    created: int
    updated: int  # every other item, changed or not (Tracx's count)
    changed: int  # of those, the runners whose stored fields really changed


# --- one runner ----------------------------------------------------------------------------

_EDITION_OF_EVENT = {
    "sqlite": (
        "SELECT e.edition_id, ed.race_id FROM events e JOIN editions ed ON ed.id = e.edition_id "
        "WHERE e.id = ?"
    ),
    # A shared lock: single upserts of one edition run side by side, a batch (which locks
    # the edition exclusively to judge its after-state) waits for them and they for it.
    "postgresql": (
        "SELECT e.edition_id, ed.race_id FROM events e JOIN editions ed ON ed.id = e.edition_id "
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


def upsert_participant(
    session: Session,
    *,
    change: ParticipantChange,
    origin: Origin = "tracx",
    judge_first: bool = True,
) -> UpsertOutcome:
    """Insert or update one runner of the edition of `change.event_id`.

    The hot path of a race day (thousands a minute), so its statements are plain SQL at the
    driver. A bib or chip held by another runner is a ParticipantClash naming every field
    that clashes. When only a unique constraint saw it, the clash is marked `raced` (a
    concurrent write got there first, or the holders were not looked up) and the whole unit
    of work may be retried in a new transaction. Without `judge_first` the holders are not
    looked up before the write (one statement fewer on race day, when clashes are rare): a
    clash then comes from the constraint, `raced`, to be judged fully by the retry."""
    driver = driver_of(session)
    located = _edition_of_event(driver, change.event_id)
    if located is None:
        raise UnknownEvent([0])
    edition_id, race_id = located
    if judge_first:
        clashes = _clashes_of_one(driver, edition_id, change)
        if clashes:
            raise ParticipantClash(clashes)
    try:
        stored, changed = sql.write_one(
            driver, edition_id=edition_id, origin=origin, row=change.as_row(), now=utcnow()
        )
    except driver.integrity_error as exc:
        mapped = _clash_from(exc)
        if mapped is None:
            raise
        raise mapped from exc
    if changed:
        _journal_one(session, race_id=race_id, edition_id=edition_id, stored=stored)
    created = changed and stored["last_change"] == "created"
    return UpsertOutcome(
        participant=Participant(edition_id=edition_id, **stored), created=created, changed=changed
    )


def _journal_one(
    session: Session, *, race_id: int, edition_id: int, stored: dict[str, Any]
) -> None:
    record(
        session,
        Entry(
            type=_CHANGE_TYPES[stored["last_change"]],
            race_id=race_id,
            edition_id=edition_id,
            event_id=stored["event_id"],
            participant_id=stored["id"],
            entity=runner_snapshot(
                **{name: stored[name] for name in FIELDS if name != "event_id"},
                created_at=stored["created_at"],
                updated_at=stored["updated_at"],
            ),
            occurred_at=stored["updated_at"],
        ),
    )


def _edition_of_event(driver: Driver, event_id: int) -> tuple[int, int] | None:
    """(edition, race) of an event, share-locked for this transaction; None if none."""
    if not is_storable_id(event_id):
        return None
    found = driver.execute(_EDITION_OF_EVENT[driver.dialect.name], (event_id,)).fetchone()
    return None if found is None else (found[0], found[1])


def _clashes_of_one(driver: Driver, edition_id: int, change: ParticipantChange) -> list[Clash]:
    holders = driver.execute(
        _HOLDERS[driver.dialect.name],
        (edition_id, change.unique_id, change.start_number, change.chip_code),
    ).fetchall()
    clashes = []
    if change.start_number is not None and any(bib == change.start_number for bib, _ in holders):
        clashes.append(Clash(0, "start_number"))
    if change.chip_code is not None and any(chip == change.chip_code for _, chip in holders):
        clashes.append(Clash(0, "chip_code"))
    return clashes


def _clash_from(exc: Exception) -> Exception | None:
    """The typed error for a constraint violation of a single upsert (the event vanished
    meanwhile, or a value was taken meanwhile), or None if it is none of those."""
    text = str(exc)
    if "foreign key" in text.lower():
        return UnknownEvent([0])
    for name in ("start_number", "chip_code"):
        if name in text:
            return ParticipantClash([Clash(0, name)], raced=True)
    return None


# --- a batch of one edition ----------------------------------------------------------------


def upsert_participants(
    session: Session,
    *,
    edition_id: int,
    rows: Sequence[Row],
    origin: Origin = "tracx",
) -> BatchOutcome:
    """Insert or update every row (rows.py; each names its event) in edition `edition_id`,
    all or none. Uniqueness is judged on the edition as it will be after the batch, so
    runners may swap chips or bibs in one batch."""
    connection = session.connection()
    race_id = _lock_edition(connection, edition_id)
    event_ids = _event_ids(connection, edition_id)
    unknown = [i for i, r in enumerate(rows) if r[ROW_EVENT] not in event_ids]
    if unknown:
        raise UnknownEvent(unknown)
    existing = _existing(connection, edition_id)
    clashes = clashes_after(existing, rows)
    if clashes:
        raise ParticipantClash(clashes)
    if not rows:
        return BatchOutcome(created=0, updated=0, changed=0)
    changed = _write(session, race_id, edition_id, origin, existing, rows)
    created = sum(1 for r in rows if r[ROW_UNIQUE_ID] not in existing)
    return BatchOutcome(created=created, updated=len(rows) - created, changed=changed - created)


def _write(
    session: Session,
    race_id: int,
    edition_id: int,
    origin: str,
    existing: Existing,
    rows: Sequence[Row],
    new_ids: Mapping[str, int] | None = None,
) -> int:
    """Park moving bibs and chips, write, journal; how many runners were created or changed.
    The edition lock makes the caller's checks exact, so a violation here is a bug."""
    connection = session.connection()
    bibs, chips = sql.moving_ids(existing, rows)
    sql.park_values(connection, bibs_of=bibs, chips_of=chips)
    now = utcnow()
    changed = sql.write_rows(
        connection,
        edition_id=edition_id,
        origin=origin,
        rows=rows,
        now=now,
        new_ids=new_ids,
        existing=existing,
    )
    if changed:
        record_runner_rows(session, RunnerRows(race_id=race_id, edition_id=edition_id, stamp=now))
    return changed


_LOCK_EDITION = {
    "sqlite": "SELECT race_id FROM editions WHERE id = ?",
    "postgresql": "SELECT race_id FROM editions WHERE id = %s FOR NO KEY UPDATE",
}
_EVENTS_OF_EDITION = {
    "sqlite": "SELECT id FROM events WHERE edition_id = ?",
    "postgresql": "SELECT id FROM events WHERE edition_id = %s",
}
_EXISTING = {
    "sqlite": (
        "SELECT id, unique_id, event_id, start_number, chip_code FROM participants "
        "WHERE edition_id = ?"
    ),
    "postgresql": (
        "SELECT id, unique_id, event_id, start_number, chip_code FROM participants "
        "WHERE edition_id = %s"
    ),
}
_DELETE = {
    "sqlite": (
        "DELETE FROM participants WHERE edition_id = ? AND unique_id = ? RETURNING id, event_id"
    ),
    "postgresql": (
        "DELETE FROM participants WHERE edition_id = %s AND unique_id = %s RETURNING id, event_id"
    ),
}


def _lock_edition(connection: Connection, edition_id: int) -> int:
    """Serialize writers of one edition (SQLite's writers queue anyway); its race's id."""
    if not is_storable_id(edition_id):
        raise EditionNotFound(f"no edition {edition_id}")
    race_id = connection.exec_driver_sql(
        _LOCK_EDITION[connection.dialect.name], (edition_id,)
    ).scalar()
    if race_id is None:
        raise EditionNotFound(f"no edition {edition_id}")
    return int(race_id)


def _event_ids(connection: Connection, edition_id: int) -> set[int]:
    found = connection.exec_driver_sql(_EVENTS_OF_EDITION[connection.dialect.name], (edition_id,))
    return set(found.scalars())


def _existing(connection: Connection, edition_id: int) -> dict[str, tuple[Any, Any, Any, Any]]:
    """unique_id -> (id, event, bib, chip) of the edition's runners. Built by zip and dict
    at C speed from the driver's rows: a 50,000-runner edition is read on every batch."""
    driver: Any = connection.connection.driver_connection
    found = driver.execute(_EXISTING[connection.dialect.name], (edition_id,)).fetchall()
    if not found:
        return {}
    ids, unique_ids, event_ids, bibs, chips = zip(*found, strict=True)
    return dict(zip(unique_ids, zip(ids, event_ids, bibs, chips, strict=True), strict=True))


# --- general writes (RunSignup's participant POST, CSV imports) ----------------------------

Mode = Literal["upsert", "add", "update"]
Reason = Literal["taken", "listed_twice", "not_found", "exists", "required", "unknown_event"]


@dataclass(slots=True)
class RunnerWrite:
    """One item of a general write. The runner is found by `unique_id` (created when absent,
    unless the mode says otherwise), or by `participant_id` or an existing runner's `bib`
    (never created); with none of them it is a new runner whose unique_id will be
    `sl-<its id>`. `values` holds the stored fields it sets (FIELDS names; None clears);
    the others keep their values (a new runner: NULL, state 'before'). The two names are
    set together or not at all. With `in_event`, an existing runner it finds must be in that
    event (RunSignup edits a registration of one event), else it is not found."""

    values: dict[str, Any]
    unique_id: str | None = None
    participant_id: int | None = None
    bib: str | None = None
    in_event: int | None = None


@dataclass(frozen=True, slots=True)
class RunnerProblem:
    """Item `index` of a general write was refused: `field` and why."""

    index: int
    field: str
    reason: Reason


@dataclass
class WriteReport:
    created: int = 0
    updated: int = 0  # runners whose stored fields changed
    unchanged: int = 0  # runners matched whose fields were already so
    problems: list[RunnerProblem] = field(default_factory=list)
    # The runner id of each item (request order; None for a refused item).
    participant_ids: list[int | None] = field(default_factory=list)
    written: bool = False


_NEW_KEY = "\x00new:"  # a provisional key for runners whose id is not known yet (no door
# lets a NUL into a unique_id)


def write_runners(
    session: Session,
    *,
    edition_id: int,
    writes: Sequence[RunnerWrite],
    origin: Origin,
    mode: Mode = "upsert",
    partial: bool = False,
) -> WriteReport:
    """Apply `writes` to one edition. All or nothing by default: any problem and nothing is
    written (`written` False, every problem reported); with `partial`, the items without a
    problem are written and the others reported."""
    connection = session.connection()
    race_id = _lock_edition(connection, edition_id)
    event_ids = _event_ids(connection, edition_id)
    existing = _existing(connection, edition_id)
    by_id = {held[0]: unique_id for unique_id, held in existing.items()}
    by_bib = {held[2]: unique_id for unique_id, held in existing.items() if held[2] is not None}
    report = WriteReport(participant_ids=[None] * len(writes))

    rows: list[Row] = []
    indexes: list[int] = []  # the write index of each row
    for index, write in enumerate(writes):
        problems = _resolve(write, index, mode, existing, by_id, by_bib, event_ids)
        if problems:
            report.problems.extend(problems)
            continue
        key = _key_of(write, by_id, by_bib, index)
        rows.append(_row_of(write, key, existing.get(key)))
        indexes.append(index)

    while True:
        clashes = clashes_after(existing, rows)
        if not clashes:
            break
        refused = {c.index for c in clashes}
        for clash in clashes:
            reason: Reason = "listed_twice" if clash.field == "unique_id" else "taken"
            report.problems.append(RunnerProblem(indexes[clash.index], clash.field, reason))
        if not partial:
            break
        rows = [r for i, r in enumerate(rows) if i not in refused]
        indexes = [x for i, x in enumerate(indexes) if i not in refused]
    report.problems.sort(key=lambda p: (p.index, FIELDS.index(p.field) if p.field in FIELDS else 0))
    if report.problems and not partial:
        return report
    if not rows:
        report.written = True
        return report

    new_keys = [r[ROW_UNIQUE_ID] for r in rows if r[ROW_UNIQUE_ID].startswith(_NEW_KEY)]
    new_ids: dict[str, int] = {}
    if new_keys:
        rows, new_ids = _with_derived_ids(connection, rows, new_keys, existing)
    changed = _write(session, race_id, edition_id, origin, existing, rows, new_ids)
    created = sum(1 for r in rows if r[ROW_UNIQUE_ID] not in existing)
    report.created = created
    report.updated = changed - created
    report.unchanged = len(rows) - changed
    _fill_ids(connection, edition_id, rows, indexes, report)
    report.written = True
    return report


def _resolve(
    write: RunnerWrite,
    index: int,
    mode: Mode,
    existing: Existing,
    by_id: Mapping[int, str],
    by_bib: Mapping[str, str],
    event_ids: set[int],
) -> list[RunnerProblem]:
    problems: list[RunnerProblem] = []
    values = write.values
    if ("first_name" in values) != ("last_name" in values):
        raise ValueError("first_name and last_name are set together")
    if write.participant_id is not None:
        found = write.participant_id in by_id
        key_field = "participant_id"
    elif write.bib is not None:
        found = write.bib in by_bib
        key_field = "start_number"
    elif write.unique_id is not None:
        found = write.unique_id in existing
        key_field = "unique_id"
    else:
        found, key_field = False, "unique_id"
    held = existing[_key_of(write, by_id, by_bib, index)] if found else None
    if held is not None and write.in_event is not None and held[1] != write.in_event:
        problems.append(RunnerProblem(index, key_field, "not_found"))
        return problems
    matched_only = write.participant_id is not None or write.bib is not None
    if found and mode == "add":
        problems.append(RunnerProblem(index, key_field, "exists"))
    if not found and (mode == "update" or matched_only):
        problems.append(RunnerProblem(index, key_field, "not_found"))
        return problems
    event_id = values.get("event_id")
    if "event_id" in values and event_id not in event_ids:
        problems.append(RunnerProblem(index, "event_id", "unknown_event"))
    if not found:
        if event_id is None:
            problems.append(RunnerProblem(index, "event_id", "required"))
        for name in ("first_name", "last_name"):
            if not values.get(name):
                problems.append(RunnerProblem(index, name, "required"))
    return problems


def _key_of(
    write: RunnerWrite, by_id: Mapping[int, str], by_bib: Mapping[str, str], index: int
) -> str:
    if write.participant_id is not None:
        return by_id[write.participant_id]
    if write.bib is not None:
        return by_bib[write.bib]
    if write.unique_id is not None:
        return write.unique_id
    return f"{_NEW_KEY}{index}"


def _row_of(write: RunnerWrite, key: str, held: tuple[Any, Any, Any, Any] | None) -> Row:
    values = write.values
    sets = sets_for(values)
    # An existing runner's row still names its event and has names: the insert half of the
    # upsert needs its NOT NULL columns even though only the update half runs (both
    # databases check NOT NULL before the conflict); its names are not in `sets`, so the
    # stored ones stay.
    event_id = values.get("event_id", held[1] if held is not None else None)
    unnamed = "" if held is not None else None
    return row(
        event_id=event_id,
        unique_id=key,
        start_number=values.get("start_number"),
        chip_code=values.get("chip_code"),
        first_name=values.get("first_name", unnamed),
        last_name=values.get("last_name", unnamed),
        date_of_birth=values.get("date_of_birth"),
        country_code=values.get("country_code"),
        team_name=values.get("team_name"),
        gender=values.get("gender"),
        state=values.get("state"),
        search_text=search_text(values.get("first_name"), values.get("last_name")),
        sets=sets,
    )


def _with_derived_ids(
    connection: Connection, rows: list[Row], new_keys: list[str], existing: Existing
) -> tuple[list[Row], dict[str, int]]:
    """Give each new runner without a unique_id an id and the unique_id `sl-<id>` (an id
    whose `sl-` name another runner already uses is skipped)."""
    taken = set(existing) | {r[ROW_UNIQUE_ID] for r in rows}
    ids: list[int] = []
    while len(ids) < len(new_keys):
        for candidate in sql.allocate_ids(connection, len(new_keys) - len(ids)):
            if f"sl-{candidate}" not in taken:
                ids.append(candidate)
    key_map = dict(zip(new_keys, ids, strict=True))
    renamed = [
        (*r[:ROW_UNIQUE_ID], f"sl-{key_map[r[ROW_UNIQUE_ID]]}", *r[ROW_UNIQUE_ID + 1 :])
        if r[ROW_UNIQUE_ID] in key_map
        else r
        for r in rows
    ]
    return renamed, {f"sl-{i}": i for i in ids}


def _fill_ids(
    connection: Connection,
    edition_id: int,
    rows: Sequence[Row],
    indexes: Sequence[int],
    report: WriteReport,
) -> None:
    ids = {unique_id: held[0] for unique_id, held in _existing(connection, edition_id).items()}
    for r, index in zip(rows, indexes, strict=True):
        report.participant_ids[index] = ids.get(r[ROW_UNIQUE_ID])


# --- deletion ------------------------------------------------------------------------------


def delete_participant(session: Session, *, edition_id: int, unique_id: str) -> int:
    """Remove one runner (journaled as participant.deleted); returns its id."""
    connection = session.connection()
    race_id = _lock_edition(connection, edition_id)
    gone = connection.exec_driver_sql(
        _DELETE[connection.dialect.name], (edition_id, unique_id)
    ).first()
    if gone is None:
        raise ParticipantNotFound(f"no runner {unique_id!r} in edition {edition_id}")
    participant_id, event_id = gone
    record(
        session,
        Entry(
            type=ChangeType.PARTICIPANT_DELETED,
            race_id=race_id,
            edition_id=edition_id,
            event_id=event_id,
            participant_id=participant_id,
            entity=object_snapshot({"unique_id": unique_id}),
        ),
    )
    return int(participant_id)


def sets_for(values: Mapping[str, Any]) -> tuple[str, ...]:
    """The fields a write of `values` sets (a null state keeps the stored one)."""
    return sets_of(tuple(values), values.get("state", "") is None)

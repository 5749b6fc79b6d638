"""Reading the change journal: its head and epoch, pages of entries after a position (for
the feed, webhooks and the live pages), cursors, pruning and the epoch renewed by a restore."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.orm import Session

from startline.domain.changes.models import Change, JournalState
from startline.domain.errors import DomainError


@dataclass(frozen=True, slots=True)
class JournalInfo:
    epoch: str
    head: int  # the last position committed (0: none yet)
    pruned_through: int  # entries up to here may be gone


class CursorInvalid(DomainError):
    """Not a cursor startline gave out."""


class CursorExpired(DomainError):
    """A cursor of another epoch (before a restore) or older than what is kept."""

    def __init__(self, oldest: str) -> None:
        super().__init__("the cursor is older than the journal keeps; resync")
        self.oldest = oldest


# --- cursors -------------------------------------------------------------------------------

_CURSOR_PREFIX = "c1."


def cursor(epoch: str, position: int) -> str:
    """Opaque to clients: the journal epoch and a position (`c1.<epoch>.<position>`)."""
    return f"{_CURSOR_PREFIX}{epoch}.{position}"


def parse_cursor(text: str) -> tuple[str, int]:
    if not text.startswith(_CURSOR_PREFIX):
        raise CursorInvalid("not a cursor")
    epoch, _, position = text[len(_CURSOR_PREFIX) :].partition(".")
    if not epoch or not position.isdigit() or len(position) > 18 or not epoch.isalnum():
        raise CursorInvalid("not a cursor")
    return epoch, int(position)


def position_after(session: Session, text: str | None) -> tuple[JournalInfo, int]:
    """The journal's state and the position a client's cursor stands at (None: before the
    oldest kept entry). A cursor of another epoch, or one whose following entries may have
    been pruned, raises CursorExpired naming the oldest usable cursor."""
    info = journal_info(session)
    if text is None:
        return info, info.pruned_through
    epoch, position = parse_cursor(text)
    if epoch != info.epoch or position < info.pruned_through or position > info.head:
        raise CursorExpired(cursor(info.epoch, info.pruned_through))
    return info, position


# --- state ---------------------------------------------------------------------------------


def journal_info(session: Session) -> JournalInfo:
    state = session.execute(
        select(JournalState.epoch, JournalState.head, JournalState.pruned_through).where(
            JournalState.id == 1
        )
    ).first()
    if state is None:  # the migration makes it; a writer recreates it if removed
        return JournalInfo(epoch="0", head=journal_head(session), pruned_through=0)
    head = state.head
    if session.get_bind().dialect.name == "sqlite":
        head = journal_head(session)
    return JournalInfo(epoch=state.epoch, head=head, pruned_through=state.pruned_through)


def journal_head(session: Session) -> int:
    """The highest committed position this transaction can see (0 when empty)."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        seq = connection.exec_driver_sql(
            "SELECT seq FROM sqlite_sequence WHERE name = 'changes'"
        ).scalar()
        return int(seq or 0)
    head = connection.exec_driver_sql("SELECT head FROM journal_state WHERE id = 1").scalar()
    return int(head or 0)


def renew_epoch(session: Session) -> str:
    """After a restore: every cursor handed out before is refused from now on."""
    epoch = secrets.token_hex(8)
    updated = session.execute(update(JournalState).where(JournalState.id == 1).values(epoch=epoch))
    if not updated.rowcount:  # type: ignore[attr-defined]  # CursorResult of an UPDATE
        session.add(JournalState(id=1, head=journal_head(session), epoch=epoch, pruned_through=0))
    return epoch


# --- entries -------------------------------------------------------------------------------


def changes_after(
    session: Session,
    *,
    after: int,
    limit: int,
    race_filter: ColumnElement[bool] | None = None,
    batch_id: int | None = None,
    edition_id: int | None = None,
    up_to: int | None = None,
) -> Sequence[Change]:
    """Entries with a position above `after` (and at most `up_to`), oldest first.
    `race_filter` is a condition on `Change.race_id` (a token's scope)."""
    statement = select(Change).where(Change.position > after).order_by(Change.position)
    if up_to is not None:
        statement = statement.where(Change.position <= up_to)
    if race_filter is not None:
        statement = statement.where(race_filter)
    if batch_id is not None:
        # A batch's entries start at its id: the primary key bounds the scan.
        statement = statement.where(Change.position >= batch_id, Change.batch_id == batch_id)
    if edition_id is not None:
        statement = statement.where(Change.edition_id == edition_id)
    return session.execute(statement.limit(limit)).scalars().all()


def editions_changed(session: Session, *, after: int, up_to: int) -> dict[int, int]:
    """For the live pages: each edition with entries in (after, up_to], and its last one."""
    rows = session.execute(
        select(Change.edition_id, func.max(Change.position))
        .where(Change.position > after, Change.position <= up_to)
        .where(Change.edition_id.is_not(None))
        .group_by(Change.edition_id)
    )
    return {edition_id: position for edition_id, position in rows if edition_id is not None}


def prune(session: Session, *, older_than: datetime) -> int:
    """Delete entries that occurred before `older_than`; returns how many went."""
    last = session.execute(
        select(func.max(Change.position)).where(Change.occurred_at < older_than)
    ).scalar()
    if last is None:
        return 0
    deleted = session.execute(delete(Change).where(Change.position <= last))
    session.execute(
        update(JournalState)
        .where(JournalState.id == 1, JournalState.pruned_through < last)
        .values(pruned_through=last)
    )
    return int(deleted.rowcount)  # type: ignore[attr-defined]  # CursorResult of a DELETE

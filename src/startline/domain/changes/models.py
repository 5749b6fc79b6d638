"""The change journal's tables: one row per change of a race, edition, event or runner, and
the journal's state (the position handed out last, the epoch, what has been pruned)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from startline.db.base import Base, UTCDateTime

# SQLite: an INTEGER PRIMARY KEY AUTOINCREMENT is the rowid, numbered by SQLite itself and
# never reused; PostgreSQL: a BIGINT handed out under the journal_state row lock.
Position = BigInteger().with_variant(Integer(), "sqlite")


class Change(Base):
    """A committed change. `entity` is the JSON snapshot written with it (ids only for a
    deletion); `batch_id` groups the runner entries of one transaction that changed more
    than one runner (it is the position of the first of them)."""

    __tablename__ = "changes"
    __table_args__ = (
        Index("ix_changes_race_id_position", "race_id", "position"),
        {"sqlite_autoincrement": True},
    )

    position: Mapped[int] = mapped_column(Position, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    race_id: Mapped[int] = mapped_column(Integer)
    edition_id: Mapped[int | None] = mapped_column(Integer)
    event_id: Mapped[int | None] = mapped_column(Integer)
    participant_id: Mapped[int | None] = mapped_column(Integer)
    batch_id: Mapped[int | None] = mapped_column(BigInteger)
    entity: Mapped[str | None] = mapped_column(Text)


class JournalState(Base):
    """One row (id 1). `head`: the last position handed out (PostgreSQL; SQLite numbers rows
    itself). `epoch`: renewed by a restore, carried in every cursor, so a cursor of another
    epoch is refused. `pruned_through`: every entry up to it may be gone."""

    __tablename__ = "journal_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    head: Mapped[int] = mapped_column(BigInteger, default=0)
    epoch: Mapped[str] = mapped_column(String(32))
    pruned_through: Mapped[int] = mapped_column(BigInteger, default=0)

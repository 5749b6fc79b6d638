"""The participant table: an entrant of one event, unique per edition by unique_id,
chip_code and start_number (NULLs never clash: a runner may have no bib or chip yet)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from startline.db.base import Base, UTCDateTime, utcnow


class Participant(Base):
    __tablename__ = "participants"
    __table_args__ = (
        UniqueConstraint("edition_id", "unique_id"),
        UniqueConstraint("edition_id", "chip_code"),
        UniqueConstraint("edition_id", "start_number"),
        # The event must belong to the participant's edition.
        ForeignKeyConstraint(
            ["event_id", "edition_id"],
            ["events.id", "events.edition_id"],
            name="fk_participants_event_edition",
        ),
        Index("ix_participants_event_id", "event_id"),
        # Ids are RunSignup registration ids, which clients page by: never reuse one
        # (SQLite would hand out a deleted highest id again without AUTOINCREMENT).
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column()
    unique_id: Mapped[str] = mapped_column(String(100))
    start_number: Mapped[str | None] = mapped_column(String(100))
    chip_code: Mapped[str | None] = mapped_column(String(32))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    country_code: Mapped[str | None] = mapped_column(String(2))
    team_name: Mapped[str | None] = mapped_column(String(100))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    gender: Mapped[str | None] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(20), default="before")
    # Which door created the runner: "tracx", "runsignup" or "csv" (RunSignup's `imported`).
    origin: Mapped[str] = mapped_column(String(16), default="tracx", server_default="tracx")
    # first and last name folded for accent-insensitive search (participants/search.py).
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    # What the last write did to the row ("created", "updated", "moved"), set by the same
    # statement, so a batch's journal entries can be written from the rows themselves.
    last_change: Mapped[str] = mapped_column(String(8), default="created", server_default="created")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

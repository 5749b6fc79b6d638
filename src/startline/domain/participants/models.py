"""The participant table: an entrant of one event, unique per edition by unique_id,
chip_code and start_number."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
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
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column()
    unique_id: Mapped[str] = mapped_column(String(100))
    start_number: Mapped[str] = mapped_column(String(100))
    chip_code: Mapped[str] = mapped_column(String(32))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    country_code: Mapped[str | None] = mapped_column(String(2))
    team_name: Mapped[str | None] = mapped_column(String(100))
    date_of_birth: Mapped[date] = mapped_column(Date)
    gender: Mapped[str | None] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(20), default="before")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

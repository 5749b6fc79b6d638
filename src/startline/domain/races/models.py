"""Tables for races, their editions (one year's occurrence) and events (distances)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from startline.db.base import Base, UTCDateTime, utcnow


class Race(Base):
    __tablename__ = "races"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    url_string: Mapped[str] = mapped_column(String(100))
    # lower(url_string): the unique key, so "MyRace" and "myrace" cannot both exist.
    url_key: Mapped[str] = mapped_column(String(100), unique=True)
    is_draft: Mapped[bool] = mapped_column(Boolean, default=False)
    # Shown on the public race pages (never while a draft); `startline races public`.
    is_public: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    street: Mapped[str | None] = mapped_column(String(512))
    city: Mapped[str | None] = mapped_column(String(128))
    state: Mapped[str | None] = mapped_column(String(64))
    country_code: Mapped[str] = mapped_column(String(2), default="US")
    zipcode: Mapped[str | None] = mapped_column(String(32))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    timezone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)
    timer_id: Mapped[int | None] = mapped_column(ForeignKey("timer_accounts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    editions: Mapped[list[Edition]] = relationship(
        back_populates="race", order_by="Edition.id", cascade="all, delete-orphan"
    )


class Edition(Base):
    """One occurrence of a race (RunSignup race_event_days_id, Tracx event)."""

    __tablename__ = "editions"

    id: Mapped[int] = mapped_column(primary_key=True)
    race_id: Mapped[int] = mapped_column(ForeignKey("races.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    race: Mapped[Race] = relationship(back_populates="editions")
    events: Mapped[list[Event]] = relationship(
        back_populates="edition",
        order_by="(Event.start_time, Event.id)",
        cascade="all, delete-orphan",
    )


class Event(Base):
    """One distance/category of an edition (RunSignup event, Tracx race).

    start_time/end_time are local wall-clock times in the race's timezone, as RunSignup
    sends and shows them."""

    __tablename__ = "events"
    __table_args__ = (
        # Target of the participants' composite foreign key (event belongs to edition).
        UniqueConstraint("id", "edition_id"),
        Index("ix_events_edition_id_start_time", "edition_id", "start_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(128))
    start_time: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    end_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    event_type: Mapped[str] = mapped_column(String(32))
    distance: Mapped[float | None] = mapped_column(Float)
    distance_units: Mapped[str | None] = mapped_column(String(1))  # K or M
    age_calc_base_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    edition: Mapped[Edition] = relationship(back_populates="events")

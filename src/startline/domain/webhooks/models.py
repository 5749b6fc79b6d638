"""Webhook tables: subscriptions (where to send, what, and how far through the journal they
are), the deliveries made for them (durable: a pending one survives a crash), and every
attempt to send one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from startline.db.base import Base, UTCDateTime, utcnow

BigId = BigInteger().with_variant(Integer(), "sqlite")  # SQLite: the rowid

# Delivery states.
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


class WebhookSubscription(Base):
    """One receiver. `types`: the change types it wants, space-separated (prefix patterns
    such as `participant.*` allowed), empty for all. Scope as a connect token's: `races`
    (webhook_subscription_races), `timer` (every race of timer_id) or `all`. `position`: the
    journal position through which deliveries have been made for it."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    types: Mapped[str] = mapped_column(Text, default="")
    scope: Mapped[str] = mapped_column(String(8))
    timer_id: Mapped[int | None] = mapped_column(
        ForeignKey("timer_accounts.id", ondelete="CASCADE")
    )
    # The whsec_ secret, Fernet-encrypted with the server key; during a rotation the previous
    # one also signs until previous_secret_until.
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    previous_secret_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    previous_secret_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    # The first failed attempt since the last success (None: not failing).
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookSubscriptionRace(Base):
    __tablename__ = "webhook_subscription_races"

    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), primary_key=True
    )
    race_id: Mapped[int] = mapped_column(
        ForeignKey("races.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class WebhookDelivery(Base):
    """One message to one subscription. `message_id` is the webhook-id header (the same on
    every attempt); `body` the exact JSON sent each time. A sender claims a due pending
    delivery by setting `claimed_until` (a lease) and `claimed_by`, sends it outside any
    transaction, then records the outcome only if the claim is still its own."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_subscription_id_id", "subscription_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    message_id: Mapped[str] = mapped_column(String(40), unique=True)
    type: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookAttempt(Base):
    """One try at sending a delivery: the answer's status (None: no answer), its first bytes,
    or the error that stopped it."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_ms: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_head: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)

"""The delivery queue: claiming due deliveries so that one sender sends each (a lease in
`claimed_until`, taken with FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's writers are
serialized), and recording each attempt's outcome with the next try on the retry schedule.

Outcomes, as Standard Webhooks asks: a 2xx answer delivers; 410 Gone fails the delivery and
disables the subscription; 429, 5xx, 3xx (redirects are not followed), a timeout or a network
error are retried on the schedule (with jitter) until it is exhausted (`failed`); any other
answer fails at once. A subscription failing without a success for `disable_after` is
disabled."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import Session

from startline.domain.accounts.secrets import SecretBox
from startline.domain.accounts.service import rows_touched
from startline.domain.webhooks.models import (
    DELIVERED,
    FAILED,
    PENDING,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from startline.domain.webhooks.service import signing_secrets

RESPONSE_HEAD_CHARS = 1024  # the first bytes of an answer kept in the attempt log
ERROR_CHARS = 500
GONE = 410
TOO_MANY_REQUESTS = 429

# A disabled webhook's reason (a message, not a secret).
UNREADABLE_SECRET = "its secret cannot be read with this server's STARTLINE_SECRET_KEY: " + (
    "give it a new one with rotate-secret, then enable it"
)

# What an attempt's answer means.
DELIVER, RETRY, FAIL, DISABLE = "deliver", "retry", "fail", "disable"


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery a sender holds until `claimed_until`: what to send, where, signed how."""

    delivery_id: int
    subscription_id: int
    message_id: str
    body: str
    url: str
    secrets: tuple[str, ...]
    attempts: int  # attempts made before this one
    claimer: str


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """What one attempt got: an answer's status and first bytes, or the error instead."""

    started_at: datetime
    duration_ms: int
    status_code: int | None = None
    response_head: str | None = None
    error: str | None = None
    retry_after_seconds: float | None = None  # the answer's Retry-After, if any


@dataclass(frozen=True, slots=True)
class Recorded:
    verdict: str  # DELIVER | RETRY | FAIL | DISABLE
    status: str  # the delivery's state now
    next_attempt_at: datetime | None = None
    disabled_reason: str | None = None  # set when this attempt disabled the subscription


def verdict(status_code: int | None) -> str:
    if status_code is None:  # no answer: timeout, refused, reset, TLS, a refused address
        return RETRY
    if 200 <= status_code < 300:
        return DELIVER
    if status_code == GONE:
        return DISABLE
    if status_code == TOO_MANY_REQUESTS or status_code >= 500 or status_code < 400:
        return RETRY
    return FAIL


def has_due(session: Session, *, now: datetime) -> bool:
    """Whether anything is due (a read, so an idle sender takes no write lock)."""
    return (
        session.execute(_due(now).with_only_columns(WebhookDelivery.id).limit(1)).first()
        is not None
    )


def _due(now: datetime) -> Select[WebhookDelivery]:
    return (
        select(WebhookDelivery)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(
            WebhookDelivery.status == PENDING,
            WebhookDelivery.next_attempt_at <= now,
            or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
            WebhookSubscription.enabled.is_(True),
        )
    )


def claim(
    session: Session,
    *,
    now: datetime,
    lease: timedelta,
    limit: int,
    claimer: str,
    box: SecretBox,
    delivery_id: int | None = None,
) -> list[Claimed]:
    """Take up to `limit` due deliveries (or only `delivery_id`) for `claimer` until
    `now + lease`. Rows another transaction is claiming are skipped (PostgreSQL), so two
    senders never take the same."""
    due = _due(now)
    if delivery_id is not None:
        due = due.where(WebhookDelivery.id == delivery_id)
    rows = (
        session.execute(
            due.order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
            .with_for_update(of=WebhookDelivery, skip_locked=True)
        )
        .scalars()
        .all()
    )
    if not rows:
        return []
    subscriptions = {
        sub.id: sub
        for sub in session.execute(
            select(WebhookSubscription).where(
                WebhookSubscription.id.in_({row.subscription_id for row in rows})
            )
        ).scalars()
    }
    signers: dict[int, tuple[str, ...]] = {}
    for subscription in subscriptions.values():
        try:
            signers[subscription.id] = tuple(signing_secrets(subscription, box, now))
        except ValueError:
            # Sealed with another server key (STARTLINE_SECRET_KEY changed): it cannot sign.
            subscription.enabled = False
            subscription.disabled_reason = UNREADABLE_SECRET
    rows = [row for row in rows if row.subscription_id in signers]
    if not rows:
        return []
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_([row.id for row in rows]))
        .values(claimed_until=now + lease, claimed_by=claimer)
    )
    return [
        Claimed(
            delivery_id=row.id,
            subscription_id=row.subscription_id,
            message_id=row.message_id,
            body=row.body,
            url=subscriptions[row.subscription_id].url,
            secrets=signers[row.subscription_id],
            attempts=row.attempts,
            claimer=claimer,
        )
        for row in rows
    ]


def record(
    session: Session,
    *,
    claimed: Claimed,
    result: AttemptResult,
    schedule: Sequence[float],
    disable_after: timedelta,
    now: datetime,
    rng: random.Random | None = None,
) -> Recorded | None:
    """Log the attempt and move the delivery on (delivered, due again later, or failed), if
    the claim is still this sender's; None when it is not (the delivery was deleted)."""
    kind = verdict(result.status_code)
    made = claimed.attempts + 1
    next_at: datetime | None = None
    status = DELIVERED if kind == DELIVER else FAILED
    if kind == RETRY and made - 1 < len(schedule):
        delay = schedule[made - 1] * (rng or random).uniform(0.9, 1.1)  # noqa: S311 (jitter)
        if result.retry_after_seconds is not None:
            # The receiver asked for a pause: honour it, within the schedule's longest step.
            delay = max(delay, min(result.retry_after_seconds, max(schedule)))
        next_at = now + timedelta(seconds=delay)
        status = PENDING
    changed = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == claimed.delivery_id,
            WebhookDelivery.claimed_by == claimed.claimer,
        )
        .values(
            status=status,
            attempts=made,
            next_attempt_at=next_at or now,
            claimed_until=None,
            claimed_by=None,
            finished_at=None if status == PENDING else now,
        )
    )
    if not rows_touched(changed):
        return None
    session.add(
        WebhookAttempt(
            delivery_id=claimed.delivery_id,
            attempted_at=result.started_at,
            duration_ms=result.duration_ms,
            status_code=result.status_code,
            response_head=result.response_head,
            error=None if result.error is None else result.error[:ERROR_CHARS],
        )
    )
    disabled = _follow_subscription(session, claimed.subscription_id, kind, disable_after, now)
    return Recorded(verdict=kind, status=status, next_attempt_at=next_at, disabled_reason=disabled)


def _follow_subscription(
    session: Session, subscription_id: int, kind: str, disable_after: timedelta, now: datetime
) -> str | None:
    """Keep the subscription's failing streak; the reason when this attempt disabled it."""
    subscriptions = update(WebhookSubscription).where(WebhookSubscription.id == subscription_id)
    if kind == DELIVER:
        session.execute(
            subscriptions.where(WebhookSubscription.failing_since.is_not(None)).values(
                failing_since=None
            )
        )
        return None
    if kind == DISABLE:
        reason = "the receiver answered 410 Gone"
        changed = session.execute(
            subscriptions.where(WebhookSubscription.enabled.is_(True)).values(
                enabled=False, disabled_reason=reason
            )
        )
        return reason if rows_touched(changed) else None
    session.execute(
        subscriptions.where(WebhookSubscription.failing_since.is_(None)).values(failing_since=now)
    )
    reason = f"failing without a success for {_days(disable_after)}"
    changed = session.execute(
        subscriptions.where(
            WebhookSubscription.enabled.is_(True),
            WebhookSubscription.failing_since <= now - disable_after,
        ).values(enabled=False, disabled_reason=reason)
    )
    return reason if rows_touched(changed) else None


def _days(span: timedelta) -> str:
    days = span.total_seconds() / 86400
    return f"{days:g} days" if days >= 1 else f"{span.total_seconds():g} seconds"

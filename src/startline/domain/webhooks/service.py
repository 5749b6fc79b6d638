"""Managing webhook subscriptions: create (the secret shown once, stored encrypted), list,
disable and enable, delete, rotate the secret, look at deliveries, re-queue one, send a test.

What a subscription may ask for: the closed journal types, or a prefix of them
(`participant.*`); the batch message `participants.batch_upserted` goes to every
subscription that wants a runner type."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from startline.db.base import utcnow
from startline.domain.accounts.models import TimerAccount
from startline.domain.accounts.secrets import SecretBox
from startline.domain.accounts.service import SCOPE_ALL, SCOPE_RACES, SCOPE_TIMER
from startline.domain.changes.journal import iso_timestamp
from startline.domain.changes.reading import journal_head
from startline.domain.changes.types import RUNNER_TYPES, ChangeType
from startline.domain.errors import DomainError, NotFound
from startline.domain.races.models import Race
from startline.domain.webhooks import signing
from startline.domain.webhooks.models import (
    DELIVERED,
    FAILED,
    PENDING,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
    WebhookSubscriptionRace,
)

TEST_TYPE = "webhook.test"
BATCH_TYPE = "participants.batch_upserted"
# The old secret keeps signing this long after a rotation.
ROTATION_OVERLAP = timedelta(hours=24)
MAX_URL_LENGTH = 2000
_PREFIXES = tuple(dict.fromkeys(t.value.split(".")[0] for t in ChangeType))
KNOWN_PATTERNS = (*(t.value for t in ChangeType), *(f"{p}.*" for p in _PREFIXES))


class InvalidWebhook(DomainError):
    """A subscription that cannot be made as asked (its URL, types or scope)."""


class WebhookNotFound(NotFound):
    pass


class DeliveryNotFound(NotFound):
    pass


class WebhookDisabled(DomainError):
    pass


# --- rules -------------------------------------------------------------------------------


def parse_types(patterns: Iterable[str]) -> tuple[str, ...]:
    """The patterns as given, checked and without repeats; an unknown one is refused."""
    chosen: list[str] = []
    for raw in patterns:
        pattern = raw.strip()
        if pattern not in KNOWN_PATTERNS:
            raise InvalidWebhook(
                f"unknown webhook type {raw!r}: use one of {', '.join(KNOWN_PATTERNS)}"
            )
        if pattern not in chosen:
            chosen.append(pattern)
    return tuple(chosen)


def expand_types(types: str) -> frozenset[ChangeType]:
    """The journal types a subscription's stored patterns cover (none stored: all)."""
    patterns = types.split()
    if not patterns:
        return frozenset(ChangeType)
    return frozenset(
        t for t in ChangeType if t.value in patterns or f"{t.value.split('.')[0]}.*" in patterns
    )


def wants_batches(types: frozenset[ChangeType]) -> bool:
    return bool(types & RUNNER_TYPES)


def check_url(url: str) -> str:
    """An absolute http(s) URL with a host, no user or password and no fragment."""
    url = url.strip()
    if not url or len(url) > MAX_URL_LENGTH or any(c.isspace() for c in url):
        raise InvalidWebhook(f"--url {url!r} is not a URL: give http(s)://host/path")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidWebhook(f"--url {url!r} is not a valid URL: {exc}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidWebhook(f"--url {url!r} must start with http:// or https://")
    if not parts.hostname:
        raise InvalidWebhook(f"--url {url!r} has no host")
    if parts.username is not None or parts.password is not None:
        raise InvalidWebhook(
            f"--url {parts.scheme}://{parts.hostname}...: leave user and password out of the "
            "URL (receivers check the signature)"
        )
    if parts.fragment:
        raise InvalidWebhook(f"--url {url!r}: a #fragment is never sent; leave it out")
    if port == 0:
        raise InvalidWebhook(f"--url {url!r}: port 0 cannot be connected to")
    return url


def message_body(type_: str, occurred_at: datetime, data: dict[str, Any]) -> str:
    """A delivery's JSON body: `{"type", "timestamp" (ISO 8601 UTC), "data"}`."""
    return json.dumps(
        {"type": type_, "timestamp": iso_timestamp(occurred_at), "data": data},
        separators=(",", ":"),
    )


def new_delivery(subscription_id: int, type_: str, body: str, now: datetime) -> dict[str, Any]:
    """A pending delivery row, due now."""
    return {
        "subscription_id": subscription_id,
        "message_id": signing.new_message_id(),
        "type": type_,
        "body": body,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


# --- commands ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedWebhook:
    webhook_id: int
    url: str
    secret: str


def create_webhook(
    session: Session,
    *,
    url: str,
    box: SecretBox,
    types: Sequence[str] = (),
    race_ids: Sequence[int] = (),
    timer_id: int | None = None,
    all_races: bool = False,
    check_target: Callable[[str], None] | None = None,
) -> CreatedWebhook:
    """A new enabled subscription at the journal head (no backlog); its secret, shown once.
    `check_target(url)` (the surface's SSRF guard) runs last, after every rule here."""
    url = check_url(url)
    patterns = parse_types(types)
    if sum([bool(race_ids), timer_id is not None, all_races]) != 1:
        raise InvalidWebhook("give exactly one scope: --race R (repeatable), --timer T or --all")
    if timer_id is not None and (
        not 0 < timer_id <= 2**31 - 1 or session.get(TimerAccount, timer_id) is None
    ):
        raise InvalidWebhook(f"no timer account {timer_id}")
    for race_id in race_ids:
        if not 0 < race_id <= 2**31 - 1 or session.get(Race, race_id) is None:
            raise InvalidWebhook(f"no race {race_id}")
    if check_target is not None:
        check_target(url)
    secret = signing.new_secret()
    subscription = WebhookSubscription(
        url=url,
        types=" ".join(patterns),
        scope=SCOPE_ALL if all_races else SCOPE_TIMER if timer_id is not None else SCOPE_RACES,
        timer_id=timer_id,
        secret_encrypted=box.seal(secret),
        position=journal_head(session),
        enabled=True,
        created_at=utcnow(),
    )
    session.add(subscription)
    session.flush()
    for race_id in dict.fromkeys(race_ids):
        session.add(WebhookSubscriptionRace(subscription_id=subscription.id, race_id=race_id))
    session.flush()
    return CreatedWebhook(webhook_id=subscription.id, url=url, secret=secret)


def get_webhook(
    session: Session, webhook_id: int, *, for_update: bool = False
) -> WebhookSubscription:
    found = None
    if 0 < webhook_id <= 2**31 - 1:
        statement = select(WebhookSubscription).where(WebhookSubscription.id == webhook_id)
        if for_update:
            statement = statement.with_for_update()
        found = session.execute(statement).scalar_one_or_none()
    if found is None:
        raise WebhookNotFound(f"no webhook {webhook_id} (see `startline webhooks list`)")
    return found


def race_ids(session: Session, webhook_id: int) -> list[int]:
    return list(
        session.execute(
            select(WebhookSubscriptionRace.race_id)
            .where(WebhookSubscriptionRace.subscription_id == webhook_id)
            .order_by(WebhookSubscriptionRace.race_id)
        ).scalars()
    )


def list_webhooks(session: Session) -> list[dict[str, Any]]:
    subscriptions = session.execute(
        select(WebhookSubscription).order_by(WebhookSubscription.id)
    ).scalars()
    counts = dict(
        session.execute(  # (subscription id, count) rows
            select(WebhookDelivery.subscription_id, func.count())
            .where(WebhookDelivery.status == PENDING)
            .group_by(WebhookDelivery.subscription_id)
        ).all()
    )
    return [
        {
            "webhook_id": sub.id,
            "url": sub.url,
            "status": "enabled" if sub.enabled else "disabled",
            "types": sub.types.split(),
            "scope": sub.scope,
            "races": race_ids(session, sub.id) if sub.scope == SCOPE_RACES else [],
            "timer_id": sub.timer_id,
            "disabled_reason": sub.disabled_reason,
            "failing_since": sub.failing_since,
            "pending": counts.get(sub.id, 0),
            "position": sub.position,
            "created_at": sub.created_at,
        }
        for sub in subscriptions
    ]


def disable_webhook(session: Session, *, webhook_id: int, reason: str) -> WebhookSubscription:
    """Stop sending (its pending deliveries wait; nothing new is queued for it)."""
    subscription = get_webhook(session, webhook_id, for_update=True)
    subscription.enabled = False
    subscription.disabled_reason = reason
    return subscription


def enable_webhook(session: Session, *, webhook_id: int) -> WebhookSubscription:
    """Send again, from the journal head on (receivers catch up on the gap from the feed);
    deliveries still pending are sent."""
    subscription = get_webhook(session, webhook_id, for_update=True)
    if not subscription.enabled:
        subscription.enabled = True
        subscription.disabled_reason = None
        subscription.failing_since = None
        subscription.position = max(subscription.position, journal_head(session))
    return subscription


def delete_webhook(session: Session, *, webhook_id: int) -> None:
    get_webhook(session, webhook_id)
    # Children first: no reliance on the database's cascade (SQLite needs its pragma).
    deliveries = select(WebhookDelivery.id).where(WebhookDelivery.subscription_id == webhook_id)
    session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries)))
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.subscription_id == webhook_id))
    session.execute(
        delete(WebhookSubscriptionRace).where(WebhookSubscriptionRace.subscription_id == webhook_id)
    )
    session.execute(delete(WebhookSubscription).where(WebhookSubscription.id == webhook_id))


def rotate_secret(
    session: Session, *, webhook_id: int, box: SecretBox, now: datetime | None = None
) -> tuple[str, datetime]:
    """A new secret (shown once); the current one keeps signing beside it for 24 h."""
    now = now or utcnow()
    subscription = get_webhook(session, webhook_id, for_update=True)
    secret = signing.new_secret()
    try:
        box.open(subscription.secret_encrypted)
        subscription.previous_secret_encrypted = subscription.secret_encrypted
        subscription.previous_secret_until = now + ROTATION_OVERLAP
    except ValueError:  # sealed with another server key: it cannot sign any more anyway
        subscription.previous_secret_encrypted = None
        subscription.previous_secret_until = now
    subscription.secret_encrypted = box.seal(secret)
    return secret, subscription.previous_secret_until


def signing_secrets(subscription: WebhookSubscription, box: SecretBox, now: datetime) -> list[str]:
    """The secrets that sign now: the current one, and the previous one during a rotation."""
    found = [box.open(subscription.secret_encrypted)]
    until = subscription.previous_secret_until
    if subscription.previous_secret_encrypted is not None and until is not None and until > now:
        found.append(box.open(subscription.previous_secret_encrypted))
    return found


def _require_enabled(subscription: WebhookSubscription) -> None:
    if not subscription.enabled:
        raise WebhookDisabled(
            f"webhook {subscription.id} is disabled ({subscription.disabled_reason}): "
            f"enable it first with `startline webhooks enable {subscription.id}`"
        )


def send_test(session: Session, *, webhook_id: int) -> WebhookDelivery:
    """Queue a `webhook.test` message, due now."""
    subscription = get_webhook(session, webhook_id)
    _require_enabled(subscription)
    now = utcnow()
    body = message_body(TEST_TYPE, now, {"webhook_id": webhook_id})
    delivery = WebhookDelivery(**new_delivery(subscription.id, TEST_TYPE, body, now))
    session.add(delivery)
    session.flush()
    return delivery


def redeliver(session: Session, *, webhook_id: int, delivery_id: int) -> WebhookDelivery:
    """Queue a delivery again (same webhook-id and body), due now, with a fresh schedule."""
    subscription = get_webhook(session, webhook_id)
    _require_enabled(subscription)
    delivery = None
    if 0 < delivery_id <= 2**62:
        delivery = session.execute(
            select(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id)
            .where(WebhookDelivery.subscription_id == webhook_id)
            .with_for_update()
        ).scalar_one_or_none()
    if delivery is None:
        raise DeliveryNotFound(
            f"webhook {webhook_id} has no delivery {delivery_id} "
            f"(see `startline webhooks deliveries {webhook_id}`)"
        )
    delivery.status = PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = utcnow()
    delivery.finished_at = None
    return delivery


def recent_deliveries(
    session: Session, *, webhook_id: int, limit: int = 20, status: str | None = None
) -> list[dict[str, Any]]:
    """The newest deliveries first, each with its attempts (oldest first)."""
    get_webhook(session, webhook_id)
    statement = select(WebhookDelivery).where(WebhookDelivery.subscription_id == webhook_id)
    if status is not None:
        if status not in (PENDING, DELIVERED, FAILED):
            raise InvalidWebhook(f"--status {status!r}: use pending, delivered or failed")
        statement = statement.where(WebhookDelivery.status == status)
    deliveries = (
        session.execute(statement.order_by(WebhookDelivery.id.desc()).limit(limit)).scalars().all()
    )
    attempts: dict[int, list[dict[str, Any]]] = {d.id: [] for d in deliveries}
    if deliveries:
        for attempt in session.execute(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(list(attempts)))
            .order_by(WebhookAttempt.id)
        ).scalars():
            attempts[attempt.delivery_id].append(
                {
                    "attempted_at": attempt.attempted_at,
                    "status_code": attempt.status_code,
                    "duration_ms": attempt.duration_ms,
                    "response": attempt.response_head,
                    "error": attempt.error,
                }
            )
    return [
        {
            "delivery_id": d.id,
            "message_id": d.message_id,
            "type": d.type,
            "status": d.status,
            "attempts": d.attempts,
            "created_at": d.created_at,
            "next_attempt_at": d.next_attempt_at if d.status == PENDING else None,
            "finished_at": d.finished_at,
            "data": json.loads(d.body)["data"],
            "log": attempts[d.id],
        }
        for d in deliveries
    ]


def prune_deliveries(session: Session, *, older_than: datetime) -> int:
    """Delete deliveries that finished (delivered or failed) before `older_than`, with their
    attempts; pending ones stay whatever their age. Returns how many went."""
    finished = select(WebhookDelivery.id).where(
        WebhookDelivery.status.in_((DELIVERED, FAILED)),
        WebhookDelivery.finished_at < older_than,
    )
    ids = list(session.execute(finished).scalars())
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(chunk)))
        session.execute(delete(WebhookDelivery).where(WebhookDelivery.id.in_(chunk)))
    return len(ids)

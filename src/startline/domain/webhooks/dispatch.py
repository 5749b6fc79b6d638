"""Turning the change journal into deliveries. Nothing happens on the write path: a
dispatcher (inside every sender) follows the journal and, for each enabled subscription,
reads the entries after its position that match its types and scope, makes one durable
delivery per entry, and advances the position in the same transaction.

The runner entries of one transaction that changed more than one runner (they share a
`batch_id`, the position of the first of them) make ONE `participants.batch_upserted`
delivery, made when the dispatcher reaches the batch's first entry; the rest of the batch is
skipped in SQL, so a 50,000-runner batch costs one aggregate query, not 50,000 rows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, insert, or_, select
from sqlalchemy.orm import Session

from startline.db.base import utcnow
from startline.domain.accounts.service import SCOPE_RACES, SCOPE_TIMER
from startline.domain.changes.models import Change
from startline.domain.changes.reading import journal_head
from startline.domain.changes.types import RUNNER_TYPES, ChangeType
from startline.domain.races.models import Race
from startline.domain.webhooks.models import (
    WebhookDelivery,
    WebhookSubscription,
    WebhookSubscriptionRace,
)
from startline.domain.webhooks.service import (
    BATCH_TYPE,
    expand_types,
    message_body,
    new_delivery,
    wants_batches,
)

PAGE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class Behind:
    subscription_id: int
    position: int


def subscriptions_behind(session: Session) -> tuple[int, list[Behind]]:
    """The journal head and the enabled subscriptions whose position is below it (a cheap
    read, so an idle dispatcher never takes a write transaction)."""
    head = journal_head(session)
    rows = session.execute(
        select(WebhookSubscription.id, WebhookSubscription.position)
        .where(WebhookSubscription.enabled.is_(True), WebhookSubscription.position < head)
        .order_by(WebhookSubscription.id)
    ).all()
    return head, [Behind(subscription_id=r.id, position=r.position) for r in rows]


def _scope_filter(subscription: WebhookSubscription) -> ColumnElement[bool] | None:
    if subscription.scope == SCOPE_RACES:
        return Change.race_id.in_(
            select(WebhookSubscriptionRace.race_id).where(
                WebhookSubscriptionRace.subscription_id == subscription.id
            )
        )
    if subscription.scope == SCOPE_TIMER:
        return Change.race_id.in_(select(Race.id).where(Race.timer_id == subscription.timer_id))
    return None


def dispatch_one(session: Session, *, subscription_id: int, page_size: int = PAGE_SIZE) -> int:
    """One page of the journal for one subscription, in the caller's write transaction:
    deliveries made and the position advanced together. Returns the deliveries made, or -1
    when there is nothing (more) to do: the subscription is disabled, gone, caught up, or
    another process holds it (PostgreSQL: SKIP LOCKED; SQLite writers are serialized)."""
    subscription = session.execute(
        select(WebhookSubscription)
        .where(WebhookSubscription.id == subscription_id, WebhookSubscription.enabled.is_(True))
        .with_for_update(skip_locked=True)
    ).scalar_one_or_none()
    if subscription is None:
        return -1
    head = journal_head(session)
    after = subscription.position
    if head <= after:
        return -1
    types = expand_types(subscription.types)
    scope = _scope_filter(subscription)
    singles: list[ColumnElement[bool]] = [
        Change.batch_id.is_(None),
        Change.type.in_(sorted(t.value for t in types)),
    ]
    if scope is not None:
        singles.append(scope)
    wanted: ColumnElement[bool] = and_(*singles)
    if wants_batches(types):
        wanted = or_(wanted, Change.position == Change.batch_id)  # a batch's first entry
    rows = session.execute(
        select(
            Change.position,
            Change.type,
            Change.occurred_at,
            Change.race_id,
            Change.edition_id,
            Change.event_id,
            Change.participant_id,
            Change.batch_id,
            Change.entity,
        )
        .where(Change.position > after, Change.position <= head, wanted)
        .order_by(Change.position)
        .limit(page_size)
    ).all()
    now = utcnow()
    deliveries: list[dict[str, Any]] = []
    for row in rows:
        if row.batch_id is not None:
            data = _batch_summary(session, row.batch_id, head, types, scope)
            if data is None:
                continue
            body = message_body(BATCH_TYPE, row.occurred_at, data)
            deliveries.append(new_delivery(subscription.id, BATCH_TYPE, body, now))
            continue
        body = message_body(row.type, row.occurred_at, _single_data(row))
        deliveries.append(new_delivery(subscription.id, row.type, body, now))
    if deliveries:
        session.execute(insert(WebhookDelivery), deliveries)
    # A full page: continue after its last entry; else every entry up to the head was seen.
    subscription.position = rows[-1].position if len(rows) == page_size else head
    return len(deliveries)


def _single_data(row: Any) -> dict[str, Any]:
    """Thin: ids and the position only (receivers read the rest from the feed)."""
    return {
        "race_id": row.race_id,
        "edition_id": row.edition_id,
        "event_id": row.event_id,
        "participant_id": row.participant_id,
        "unique_id": _unique_id(row) if row.type in RUNNER_TYPES else None,
        "position": row.position,
    }


def _unique_id(row: Any) -> str | None:
    """A runner's unique_id from its snapshot: the first field of its array, or the `unique_id`
    of a deletion's ids."""
    if not row.entity:
        return None
    entity = json.loads(row.entity)
    if isinstance(entity, list):
        return str(entity[0]) if entity else None
    if isinstance(entity, dict):
        value = entity.get("unique_id")
        return None if value is None else str(value)
    return None


def _batch_summary(
    session: Session,
    batch_id: int,
    head: int,
    types: frozenset[ChangeType],
    scope: ColumnElement[bool] | None,
) -> dict[str, Any] | None:
    """Counts and the journal range of the batch's entries this subscription wants (None:
    none of them). A batch's entries start at its id, so the primary key bounds the scan."""
    conditions = [
        Change.position >= batch_id,
        Change.position <= head,
        Change.batch_id == batch_id,
        Change.type.in_(sorted(t.value for t in types & RUNNER_TYPES)),
    ]
    if scope is not None:
        conditions.append(scope)
    found = session.execute(
        select(Change.type, func.count(), func.min(Change.position), func.max(Change.position))
        .where(*conditions)
        .group_by(Change.type)
    ).all()
    if not found:
        return None
    counts = {kind: count for kind, count, _, _ in found}
    return {
        "batch_id": batch_id,
        "created": counts.get(ChangeType.PARTICIPANT_CREATED.value, 0),
        "updated": counts.get(ChangeType.PARTICIPANT_UPDATED.value, 0)
        + counts.get(ChangeType.PARTICIPANT_MOVED.value, 0),
        "deleted": counts.get(ChangeType.PARTICIPANT_DELETED.value, 0),
        "first_position": min(first for _, _, first, _ in found),
        "last_position": max(last for _, _, _, last in found),
    }

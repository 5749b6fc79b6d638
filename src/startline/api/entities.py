"""A journal entry as the feed shows it: ids in startline's words, the time in ISO 8601 UTC,
and the entity as it was written (a runner as the Tracx participant resource, whose own
`event_id`/`race_id` keep Tracx's words: edition and event)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from startline.dialects.tracx.resources import participant_resource
from startline.domain.changes.journal import iso_timestamp
from startline.domain.changes.models import Change
from startline.domain.changes.reading import cursor
from startline.domain.changes.types import RUNNER_SNAPSHOT_FIELDS, RUNNER_TYPES, ChangeType
from startline.domain.participants.models import Participant


def feed_entry(change: Change, epoch: str) -> dict[str, Any]:
    return {
        "position": change.position,
        "cursor": cursor(epoch, change.position),
        "type": change.type,
        "occurred_at": iso_timestamp(change.occurred_at),
        "race_id": change.race_id,
        "edition_id": change.edition_id,
        "event_id": change.event_id,
        "batch_id": change.batch_id,
        "entity": entity_of(change),
    }


def entity_of(change: Change) -> dict[str, Any] | None:
    if change.entity is None:
        return None
    stored = json.loads(change.entity)
    if change.type == ChangeType.PARTICIPANT_DELETED:
        # Ids only, in the resource's words.
        return {
            "id": change.participant_id,
            "unique_id": stored.get("unique_id"),
            "event_id": change.edition_id,
            "race_id": change.event_id,
        }
    if change.type in RUNNER_TYPES:
        return participant_resource(_runner(change, stored))
    return dict(stored)


def _runner(change: Change, snapshot: list[Any]) -> Participant:
    fields = dict(zip(RUNNER_SNAPSHOT_FIELDS, snapshot, strict=True))
    born = fields["date_of_birth"]
    return Participant(
        id=change.participant_id,
        edition_id=change.edition_id,
        event_id=change.event_id,
        unique_id=fields["unique_id"],
        start_number=fields["start_number"],
        chip_code=fields["chip_code"],
        first_name=fields["first_name"],
        last_name=fields["last_name"],
        date_of_birth=None if born is None else date.fromisoformat(born),
        gender=fields["gender"],
        country_code=fields["country_code"],
        team_name=fields["team_name"],
        state=fields["state"],
        created_at=_stamp(fields["created_at"]),
        updated_at=_stamp(fields["updated_at"]),
    )


def _stamp(text: str) -> datetime:
    return datetime.fromisoformat(text)

"""The closed list of change types and the layout of a runner's snapshot in the journal."""

from __future__ import annotations

from enum import StrEnum


class ChangeType(StrEnum):
    RACE_CREATED = "race.created"
    RACE_UPDATED = "race.updated"
    EDITION_CREATED = "edition.created"
    EVENT_CREATED = "event.created"
    EVENT_UPDATED = "event.updated"
    EVENT_DELETED = "event.deleted"
    PARTICIPANT_CREATED = "participant.created"
    PARTICIPANT_UPDATED = "participant.updated"
    PARTICIPANT_MOVED = "participant.moved"
    PARTICIPANT_DELETED = "participant.deleted"


RUNNER_TYPES = frozenset(
    {
        ChangeType.PARTICIPANT_CREATED,
        ChangeType.PARTICIPANT_UPDATED,
        ChangeType.PARTICIPANT_MOVED,
        ChangeType.PARTICIPANT_DELETED,
    }
)

# A runner's snapshot is a JSON array of these stored fields, in this order (compact, and
# written by SQL for a whole batch at once); the ids are the entry's own columns. Dates are
# `YYYY-MM-DD`, timestamps `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC).
RUNNER_SNAPSHOT_FIELDS = (
    "unique_id",
    "start_number",
    "chip_code",
    "first_name",
    "last_name",
    "date_of_birth",
    "gender",
    "country_code",
    "team_name",
    "state",
    "created_at",
    "updated_at",
)

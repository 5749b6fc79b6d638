"""The one table from domain errors to Tracx 422 messages (Laravel's wording and keys)."""

from __future__ import annotations

from startline.dialects.tracx.validation import taken_message
from startline.domain.participants.errors import ParticipantClash, UnknownEvent

Errors = dict[str, list[str]]


def _prefix(index: int, batch: bool) -> str:
    return f"{index}." if batch else ""


def clash_errors(exc: ParticipantClash, *, batch: bool) -> Errors:
    """ "The chip code has already been taken." under `chip_code` (batch: `3.chip_code`)."""
    errors: Errors = {}
    for clash in exc.clashes:
        prefix = _prefix(clash.index, batch)
        errors.setdefault(prefix + clash.field, []).append(
            taken_message(clash.field, key_prefix=prefix)
        )
    return errors


def unknown_event_errors(exc: UnknownEvent, *, batch: bool) -> Errors:
    """An event that vanished between validation and write: the race id is invalid."""
    errors: Errors = {}
    for index in exc.indexes:
        prefix = _prefix(index, batch)
        errors[prefix + "race_id"] = [f"The selected {prefix}race id is invalid."]
    return errors

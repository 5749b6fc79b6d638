"""Tracx resources: participant, event (= startline edition) and race (= startline event),
with Laravel's `YYYY-MM-DD HH:MM:SS` UTC timestamps."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from startline.domain.participants.models import Participant
from startline.domain.races.models import Event
from startline.domain.scopes import EditionInScope


def timestamp(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def participant_resource(participant: Participant) -> dict[str, Any]:
    """A participant as Tracx shows it: event_id is the edition, race_id the event."""
    return {
        "id": participant.id,
        "unique_id": participant.unique_id,
        "start_number": participant.start_number,
        "chip_code": participant.chip_code,
        "event_id": participant.edition_id,
        "race_id": participant.event_id,
        "first_name": participant.first_name,
        "last_name": participant.last_name,
        "full_name": f"{participant.first_name} {participant.last_name}",
        "country_code": participant.country_code.lower() if participant.country_code else None,
        "team_name": participant.team_name,
        "date_of_birth": (
            participant.date_of_birth.isoformat() if participant.date_of_birth else None
        ),
        "gender": participant.gender,
        "state": participant.state,
        "created_at": timestamp(participant.created_at),
        "updated_at": timestamp(participant.updated_at),
    }


def event_resource(item: EditionInScope) -> dict[str, Any]:
    """A startline edition as a Tracx event; its name is the race's."""
    return {
        "id": item.edition.id,
        "name": item.race_name,
        "created_at": timestamp(item.edition.created_at),
        "updated_at": timestamp(item.edition.updated_at),
        "date_from": item.date_from.isoformat() if item.date_from else None,
        "date_to": item.date_to.isoformat() if item.date_to else None,
    }


def race_resource(event: Event) -> dict[str, Any]:
    """A startline event as a Tracx race (start_time: local wall-clock time of the race)."""
    return {
        "id": event.id,
        "event_id": event.edition_id,
        "name": event.name,
        "created_at": timestamp(event.created_at),
        "updated_at": timestamp(event.updated_at),
        "start_time": event.start_time.strftime("%Y-%m-%d %H:%M:%S"),
        "distance": event.distance,
    }

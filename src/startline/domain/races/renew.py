"""Renewing a race: a document that names no edition and no event ids adds a new edition
holding every sent event (next year's race), allowed once every edition is over and when
the new events start after the last one finished."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from startline.domain.races import errors as e
from startline.domain.races.fields import new_event
from startline.domain.races.models import Edition, Race
from startline.domain.races.timerules import event_finish, has_finished, last_finish, zone_or_none
from startline.domain.races.validation import CleanRace, Collector


def is_renewal(clean: CleanRace, edition_id: object) -> bool:
    """No edition named and no event carrying an id: the document is a new edition."""
    return edition_id is None and all(ev.event_id is None for ev in clean.events)


def check_renewal(row: Race, clean: CleanRace, now: datetime, out: Collector) -> None:
    zone = zone_or_none(clean.timezone)
    assert zone is not None
    existing = [ev for edition in row.editions for ev in edition.events]
    latest = last_finish(existing)
    starts_after = latest is None or all(ev.start_time > latest for ev in clean.events)
    any_current = any(
        edition.events
        and not has_finished(
            (event_finish(ev.start_time, ev.end_time) for ev in edition.events), zone, now
        )
        for edition in row.editions
    )
    if not starts_after or any_current:
        out.add(e.RenewalNotAllowed())


def renew_race(session: Session, *, row: Race, clean: CleanRace, now: datetime) -> Edition:
    """Add the new edition with its events to a loaded race (checked by check_renewal)."""
    edition = Edition(
        created_at=now, updated_at=now, events=[new_event(ev, now) for ev in clean.events]
    )
    row.editions.append(edition)
    return edition

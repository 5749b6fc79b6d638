"""Editing a race: its fields, and either a renewal (renew.py) or an edit of one edition's
events (update those sent with an id, add those without, delete the missing ones unless
told to keep them); in the caller's session."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from startline.db.base import utcnow
from startline.domain.changes.types import ChangeType
from startline.domain.participants.models import Participant
from startline.domain.races import errors as e
from startline.domain.races.fields import (
    EVENT_DOCUMENT_FIELDS,
    RACE_DOCUMENT_FIELDS,
    apply_values,
    new_event,
    values_of,
)
from startline.domain.races.inputs import Actor, RaceInput, RaceView
from startline.domain.races.journal import (
    EVENT_SNAPSHOT_FIELDS,
    RACE_SNAPSHOT_FIELDS,
    record_event,
    record_event_deleted,
    record_new_edition,
    record_race,
)
from startline.domain.races.models import Edition, Event, Race
from startline.domain.races.problems import in_document_order, unique_rules
from startline.domain.races.read import read_view
from startline.domain.races.renew import check_renewal, is_renewal, renew_race
from startline.domain.races.timerules import is_past, zone_or_none
from startline.domain.races.validation import (
    CleanRace,
    Collector,
    check_past_events,
    validate_race,
)


def edit_race(
    session: Session,
    *,
    actor: Actor,
    race_id: int,
    race: RaceInput,
    preserve_missing_events: bool = False,
    allow_past_event_creation: bool = False,
    edition_id: int | None | e.RaceProblem = None,
    now: datetime | None = None,
) -> RaceView:
    """Replace a race's fields and either renew it (all events new) or edit one edition."""
    now = now or utcnow()
    row = _load_race(session, race_id)
    if row is None:
        raise e.RaceNotFound(f"no race {race_id}")
    if not (actor.is_admin or actor.user_id == row.owner_id):
        raise e.NotRaceOwner(f"user {actor.user_id} may not edit race {race_id}")
    out = Collector()
    clean = validate_race(race, creating=False, current_timezone=row.timezone, out=out)
    edition = _target_edition(row, edition_id, out)
    if edition is not None:
        _check_event_ids(race, edition, out)
    renewal = clean is not None and is_renewal(clean, edition_id)
    if clean is not None:
        check_past_events(clean, allow_past_event_creation, now, out)
        if renewal:
            check_renewal(row, clean, now, out)
        elif edition is not None:
            _check_edition_edit(
                session,
                edition,
                clean,
                preserve_missing_events,
                allow_past_event_creation,
                now,
                out,
            )
    if out.problems:
        raise e.RaceRejected(in_document_order(unique_rules(out.problems)))
    assert clean is not None
    race_changed = apply_values(row, clean, RACE_DOCUMENT_FIELDS)
    new_edition: Edition | None = None
    events = EventChanges()
    if renewal:
        new_edition = renew_race(session, row=row, clean=clean, now=now)
    else:
        assert edition is not None
        events = _apply_edition_edit(edition, clean, preserve_missing_events, now)
    if race_changed or new_edition is not None or events:
        # The race object's last_modified follows the race and its events; a no-op keeps it.
        row.last_modified = now
    try:
        session.flush()
    except IntegrityError as exc:  # a participant arrived after the check: keep the event
        raise e.RaceRejected([e.EventHasParticipants()]) from exc
    _journal_edit(session, row, race_changed, new_edition, events)
    fresh = read_view(session.connection(), race_id)
    assert fresh is not None
    return fresh


@dataclass
class EventChanges:
    """What an edition edit did to its events (rows after the flush have their ids)."""

    edition_id: int | None = None
    created: list[Event] = field(default_factory=list)
    updated: list[Event] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.created or self.updated or self.deleted)


def _journal_edit(
    session: Session,
    row: Race,
    race_changed: bool,
    new_edition: Edition | None,
    events: EventChanges,
) -> None:
    """One entry per race, edition and event the edit changed (after the flush: new rows
    have their ids); nothing for a no-op."""
    if race_changed:
        record_race(session, ChangeType.RACE_UPDATED, values_of(row, RACE_SNAPSHOT_FIELDS))
    if new_edition is not None:
        record_new_edition(session, new_edition, new_edition.events)
    for event in events.updated:
        record_event(
            session, ChangeType.EVENT_UPDATED, row.id, values_of(event, EVENT_SNAPSHOT_FIELDS)
        )
    for event in events.created:
        record_event(
            session, ChangeType.EVENT_CREATED, row.id, values_of(event, EVENT_SNAPSHOT_FIELDS)
        )
    for event_id in events.deleted:
        assert events.edition_id is not None
        record_event_deleted(session, row.id, events.edition_id, event_id)


def _load_race(session: Session, race_id: int) -> Race | None:
    """The race with its editions and events, locked for the edit."""
    statement = (
        select(Race)
        .where(Race.id == race_id)
        .options(selectinload(Race.editions).selectinload(Edition.events))
        .with_for_update()
    )
    return session.execute(statement).scalar_one_or_none()


def _target_edition(
    row: Race, edition_id: int | None | e.RaceProblem, out: Collector
) -> Edition | None:
    if isinstance(edition_id, e.RaceProblem):
        out.add(edition_id)
        return None
    if edition_id is not None:
        for edition in row.editions:
            if edition.id == edition_id:
                return edition
        out.add(e.EditionNotOfRace())
        return None
    return _most_recent_edition(row)


def _most_recent_edition(row: Race) -> Edition | None:
    def latest_start(edition: Edition) -> tuple[datetime, int]:
        starts = [ev.start_time for ev in edition.events]
        return (max(starts) if starts else datetime.min, edition.id)

    return max(row.editions, key=latest_start, default=None)


def _check_event_ids(race: RaceInput, edition: Edition, out: Collector) -> None:
    """Sent event ids must name events of the edition being edited."""
    if not isinstance(race.events, list):
        return
    own_ids = {ev.id for ev in edition.events}
    for index, ev in enumerate(race.events):
        if isinstance(ev.event_id, int) and ev.event_id not in own_ids:
            out.add(e.EventIdInvalid(event_index=index))


def _check_edition_edit(
    session: Session,
    edition: Edition,
    clean: CleanRace,
    preserve_missing: bool,
    allow_past: bool,
    now: datetime,
    out: Collector,
) -> None:
    zone = zone_or_none(clean.timezone)
    assert zone is not None
    own_ids = {ev.id for ev in edition.events}
    if (
        not allow_past
        and edition.events
        and all(is_past(ev.start_time, zone, now) for ev in edition.events)
    ):
        out.add(e.PastEventsNotAllowed())
    if preserve_missing:
        return
    sent = {ev.event_id for ev in clean.events if ev.event_id is not None}
    missing = sorted(own_ids - sent)
    if missing:
        busy = session.execute(
            select(Participant.event_id).where(Participant.event_id.in_(missing)).distinct()
        ).scalars()
        for event_id in sorted(busy):
            out.add(e.EventHasParticipants(f"event {event_id} has participants"))


def _apply_edition_edit(
    edition: Edition, clean: CleanRace, preserve_missing: bool, now: datetime
) -> EventChanges:
    """Update the sent events that have an id, add those without, delete the missing ones
    (unless preserved); what changed. Only a changed event's updated_at moves, and the
    edition's only when one of its events changed."""
    by_id = {ev.id: ev for ev in edition.events}
    before = {ev.id: values_of(ev, EVENT_DOCUMENT_FIELDS) for ev in edition.events}
    changes = EventChanges(edition_id=edition.id)
    sent: set[int] = set()
    for ev in clean.events:
        if ev.event_id is None:
            added = new_event(ev, now)
            edition.events.append(added)
            changes.created.append(added)
        else:
            sent.add(ev.event_id)
            apply_values(by_id[ev.event_id], ev, EVENT_DOCUMENT_FIELDS)
    for event_id in sorted(sent):
        # Compared with the state before (an event sent twice may end where it began).
        event = by_id[event_id]
        if values_of(event, EVENT_DOCUMENT_FIELDS) != before[event_id]:
            event.updated_at = now
            changes.updated.append(event)
    if not preserve_missing:
        for event_id, event in by_id.items():
            if event_id not in sent:
                edition.events.remove(event)
                changes.deleted.append(event_id)
    if changes:
        edition.updated_at = now
    return changes

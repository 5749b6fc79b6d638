"""Race services: create, edit (renewal or one edition), get and list; in the caller's session."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, Select, and_, bindparam, exists, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from startline.db.base import utcnow
from startline.domain.accounts.models import Partner, TimerAccount
from startline.domain.accounts.service import find_partner_by_token, is_timer_member
from startline.domain.limits import count_hit
from startline.domain.participants.models import Participant
from startline.domain.races import errors as e
from startline.domain.races.access import race_access
from startline.domain.races.inputs import (
    Actor,
    CreateLimit,
    EditionView,
    EventView,
    RaceInput,
    RaceView,
)
from startline.domain.races.models import Edition, Event, Race
from startline.domain.races.timerules import event_finish, has_finished, is_past, zone_or_none
from startline.domain.races.validation import CleanEvent, CleanRace, Collector, validate_race


def _load_race(session: Session, race_id: int, *, for_update: bool = False) -> Race | None:
    statement = (
        select(Race)
        .where(Race.id == race_id)
        .options(selectinload(Race.editions).selectinload(Edition.events))
    )
    if for_update:
        statement = statement.with_for_update()
    return session.execute(statement).scalar_one_or_none()


# Core reads of one race into its view: measured 44.5 % of GET race XML was the ORM load
# (selectinload: instance state and per-row processors); plain rows skip that work.
_RACES, _EDITIONS, _EVENTS = Race.__table__, Edition.__table__, Event.__table__
_RACE_ROW = select(
    _RACES.c.id,
    _RACES.c.name,
    _RACES.c.url_string,
    _RACES.c.is_draft,
    _RACES.c.street,
    _RACES.c.city,
    _RACES.c.state,
    _RACES.c.country_code,
    _RACES.c.zipcode,
    _RACES.c.contact_email,
    _RACES.c.timezone,
    _RACES.c.owner_id,
    _RACES.c.partner_id,
    _RACES.c.timer_id,
    _RACES.c.created_at,
    _RACES.c.last_modified,
).where(_RACES.c.id == bindparam("race_id"))
# Every edition (an outer join keeps one left without events), events in the order the
# ORM relationships gave: editions by id, events by (start_time, id).
_RACE_EVENTS = (
    select(
        _EDITIONS.c.id.label("edition_id"),
        _EVENTS.c.id,
        _EVENTS.c.name,
        _EVENTS.c.start_time,
        _EVENTS.c.end_time,
        _EVENTS.c.event_type,
        _EVENTS.c.distance,
        _EVENTS.c.distance_units,
        _EVENTS.c.age_calc_base_date,
    )
    .select_from(_EDITIONS.outerjoin(_EVENTS, _EVENTS.c.edition_id == _EDITIONS.c.id))
    .where(_EDITIONS.c.race_id == bindparam("race_id"))
    .order_by(_EDITIONS.c.id, _EVENTS.c.start_time, _EVENTS.c.id)
)


def _read_view(connection: Connection, race_id: int) -> RaceView | None:
    """The race's view from two Core selects (no ORM objects), or None when absent."""
    race = connection.execute(_RACE_ROW, {"race_id": race_id}).first()
    if race is None:
        return None
    editions: list[EditionView] = []
    edition_id: int | None = None
    events: list[EventView] = []
    for row in connection.execute(_RACE_EVENTS, {"race_id": race_id}):
        if row.edition_id != edition_id:
            if edition_id is not None:
                editions.append(EditionView(id=edition_id, events=tuple(events)))
            edition_id, events = row.edition_id, []
        if row.id is not None:
            events.append(
                EventView(
                    id=row.id,
                    edition_id=row.edition_id,
                    name=row.name,
                    start_time=row.start_time,
                    end_time=row.end_time,
                    event_type=row.event_type,
                    distance=row.distance,
                    distance_units=row.distance_units,
                    age_calc_base_date=row.age_calc_base_date,
                )
            )
    if edition_id is not None:
        editions.append(EditionView(id=edition_id, events=tuple(events)))
    return RaceView(**race._mapping, editions=tuple(editions))


def _view(race: Race, editions: tuple[EditionView, ...] | None = None) -> RaceView:
    return RaceView(
        id=race.id,
        name=race.name,
        url_string=race.url_string,
        is_draft=race.is_draft,
        street=race.street,
        city=race.city,
        state=race.state,
        country_code=race.country_code,
        zipcode=race.zipcode,
        contact_email=race.contact_email,
        timezone=race.timezone,
        owner_id=race.owner_id,
        partner_id=race.partner_id,
        timer_id=race.timer_id,
        created_at=race.created_at,
        last_modified=race.last_modified,
        editions=editions
        if editions is not None
        else tuple(
            EditionView(
                id=edition.id,
                events=tuple(
                    EventView(
                        id=ev.id,
                        edition_id=edition.id,
                        name=ev.name,
                        start_time=ev.start_time,
                        end_time=ev.end_time,
                        event_type=ev.event_type,
                        distance=ev.distance,
                        distance_units=ev.distance_units,
                        age_calc_base_date=ev.age_calc_base_date,
                    )
                    for ev in sorted(edition.events, key=lambda x: (x.start_time, x.id))
                ),
            )
            for edition in sorted(race.editions, key=lambda x: x.id)
        ),
    )


def _apply_event(target: Event, clean: CleanEvent, now: datetime) -> None:
    target.name = clean.name
    target.start_time = clean.start_time
    target.end_time = clean.end_time
    target.event_type = clean.event_type
    target.distance = clean.distance
    target.distance_units = clean.distance_units
    target.age_calc_base_date = clean.age_calc_base_date
    target.updated_at = now


def _new_event(clean: CleanEvent, now: datetime) -> Event:
    event = Event(created_at=now)
    _apply_event(event, clean, now)
    return event


def _check_past(clean: CleanRace, allow_past: bool, now: datetime, out: Collector) -> None:
    zone = zone_or_none(clean.timezone)
    assert zone is not None
    if not allow_past and any(is_past(ev.start_time, zone, now) for ev in clean.events):
        out.add(e.PastEventsNotAllowed())


# --- create -------------------------------------------------------------------------------


def create_race(
    session: Session,
    *,
    actor: Actor,
    race: RaceInput,
    allow_past_event_creation: bool = False,
    signing_partner_id: int | None = None,
    create_limit: CreateLimit | None = None,
    now: datetime | None = None,
) -> RaceView:
    """Create a race with one edition holding every sent event; the actor owns it."""
    now = now or utcnow()
    out = Collector()
    clean = validate_race(race, creating=True, current_timezone=None, out=out)
    partner_id = _resolve_partner(session, race, signing_partner_id, out)
    timer_id = _resolve_timer(session, race, actor, out)
    if clean is not None:
        if url_string_taken(session, clean.url_string or ""):
            out.problems.insert(_url_problem_position(out.problems), e.UrlStringTaken())
        _check_past(clean, allow_past_event_creation, now, out)
    if out.problems:
        raise e.RaceRejected(_in_document_order(out.problems))
    assert clean is not None and clean.url_string is not None
    if create_limit is not None and create_limit.limit > 0:
        hits = count_hit(
            session,
            bucket=create_limit.bucket,
            window_seconds=create_limit.window_seconds,
            now=now,
        )
        if hits.count > create_limit.limit:
            raise e.CreateThrottled(
                f"more than {create_limit.limit} new races in the window",
                retry_after_seconds=hits.retry_after_seconds,
            )
    # Core inserts, answered from the values sent: ORM objects and their flush were 28 % of
    # race POST (py-spy, bench/README.md finding 3).
    fields = {
        "name": clean.name,
        "url_string": clean.url_string,
        "is_draft": clean.is_draft,
        "street": clean.street,
        "city": clean.city,
        "state": clean.state,
        "country_code": clean.country_code,
        "zipcode": clean.zipcode,
        "contact_email": clean.contact_email,
        "timezone": clean.timezone,
        "owner_id": actor.user_id,
        "partner_id": partner_id,
        "timer_id": timer_id,
        "created_at": now,
        "last_modified": now,
    }
    # Statements built once and run on the session's connection: the URL check took 80 us
    # through Session.execute with a fresh select, 20 us so (SQLite, microbenchmark).
    connection = session.connection()
    try:
        race_id = connection.execute(
            _INSERT_RACE, {"url_key": clean.url_string.lower(), **fields}
        ).scalar_one()
    except IntegrityError as exc:  # a concurrent create took the URL string first
        if "url_key" not in str(exc.orig):
            raise
        raise e.RaceRejected([e.UrlStringTaken()]) from exc
    edition_id = connection.execute(
        _INSERT_EDITION, {"race_id": race_id, "created_at": now, "updated_at": now}
    ).scalar_one()
    events = _insert_events(connection, edition_id, clean.events, now)
    return RaceView(id=race_id, **fields, editions=(EditionView(id=edition_id, events=events),))


def _insert_events(
    connection: Connection, edition_id: int, events: list[CleanEvent], now: datetime
) -> tuple[EventView, ...]:
    """Insert an edition's events with one Core executemany, answering from RETURNING.

    The ORM bulk insert with sort_by_parameter_order ran one INSERT per event on SQLite
    (20 statements, 1.7 ms of a 7 ms create, pyinstrument); Core's insertmanyvalues sends
    multi-row INSERTs. RETURNING order is not promised, so each view is built from its own
    returned row rather than matched to the input by position."""
    rows = [
        {
            "edition_id": edition_id,
            "name": ev.name,
            "start_time": ev.start_time,
            "end_time": ev.end_time,
            "event_type": ev.event_type,
            "distance": ev.distance,
            "distance_units": ev.distance_units,
            "age_calc_base_date": ev.age_calc_base_date,
            "created_at": now,
            "updated_at": now,
        }
        for ev in events
    ]
    if not rows:
        return ()
    returned = connection.execute(_INSERT_EVENTS, rows)
    views = [
        # SQLite's RETURNING gives an integral REAL as an int (its storage form): 8.0 -> 8.
        EventView(
            **{**row._mapping, "distance": None if row.distance is None else float(row.distance)}
        )
        for row in returned
    ]
    return tuple(sorted(views, key=lambda v: (v.start_time, v.id)))


_INSERT_RACE = insert(_RACES).returning(_RACES.c.id)
_INSERT_EDITION = insert(_EDITIONS).returning(_EDITIONS.c.id)
_INSERT_EVENTS = insert(_EVENTS).returning(
    _EVENTS.c.id,
    _EVENTS.c.edition_id,
    _EVENTS.c.name,
    _EVENTS.c.start_time,
    _EVENTS.c.end_time,
    _EVENTS.c.event_type,
    _EVENTS.c.distance,
    _EVENTS.c.distance_units,
    _EVENTS.c.age_calc_base_date,
)


def url_string_taken(session: Session, url_string: str) -> bool:
    """A quick check for the usual case; the unique url_key decides under concurrency."""
    found = session.connection().execute(_URL_TAKEN, {"url_key": url_string.lower()})
    return found.first() is not None


_URL_TAKEN = select(_RACES.c.id).where(_RACES.c.url_key == bindparam("url_key"))


def _apply_race_fields(row: Race, clean: CleanRace, now: datetime) -> None:
    row.name = clean.name
    row.is_draft = clean.is_draft
    row.street = clean.street
    row.city = clean.city
    row.state = clean.state
    row.country_code = clean.country_code
    row.zipcode = clean.zipcode
    row.contact_email = clean.contact_email
    row.timezone = clean.timezone
    row.last_modified = now


_ORDER = [
    e.NameRequired,
    e.NameInvalid,
    e.UrlStringInvalid,
    e.UrlStringTaken,
]


def _url_problem_position(problems: list[e.RaceProblem]) -> int:
    """Where the URL-taken problem goes: right after the name and URL-format problems."""
    return sum(1 for p in problems if type(p) in _ORDER)


def _in_document_order(problems: list[e.RaceProblem]) -> list[e.RaceProblem]:
    """Race-field problems, then per-event problems by event, then whole-race rules."""
    race_level = [p for p in problems if p.event_index is None and not _is_rule(p)]
    per_event = sorted(
        (p for p in problems if p.event_index is not None),
        key=lambda p: (p.event_index or 0, _EVENT_FIELD_RANK.get(type(p), 0)),
    )
    rules = [p for p in problems if p.event_index is None and _is_rule(p)]
    return race_level + per_event + rules


# Order of an event's fields in the document, for ordering its problems.
_EVENT_FIELD_RANK = {
    kind: rank
    for rank, kind in enumerate(
        [
            e.EventIdInvalid,
            e.EventNameInvalid,
            e.StartTimeRequired,
            e.StartTimeInvalid,
            e.EndTimeInvalid,
            e.EventTypeRequired,
            e.EventTypeInvalid,
            e.DistanceInvalid,
            e.AgeBaseDateInvalid,
        ]
    )
}


def _is_rule(problem: e.RaceProblem) -> bool:
    return isinstance(
        problem,
        e.PastEventsNotAllowed | e.RenewalNotAllowed | e.EditionNotOfRace | e.EventHasParticipants,
    )


_PRINTABLE = re.compile(r"^[\x21-\x7e]{1,200}$")


def _resolve_partner(
    session: Session, race: RaceInput, signing_partner_id: int | None, out: Collector
) -> int | None:
    partner_id = race.partner_id
    if isinstance(partner_id, e.RaceProblem):
        out.add(partner_id)
        partner_id = None
    elif partner_id is not None and (
        partner_id != signing_partner_id or session.get(Partner, partner_id) is None
    ):
        out.add(e.PartnerIdInvalid())
        partner_id = None
    token = (race.partner_token or "").strip()
    if token:
        partner = find_partner_by_token(session, token=token) if _PRINTABLE.match(token) else None
        if partner is None:
            out.add(e.PartnerTokenInvalid())
        elif partner_id is not None and partner.id != partner_id:
            out.add(e.PartnerIdInvalid("the partner id and partner token name different partners"))
        else:
            partner_id = partner.id
    return partner_id


def _resolve_timer(session: Session, race: RaceInput, actor: Actor, out: Collector) -> int | None:
    timer_id = race.timer_id
    if isinstance(timer_id, e.RaceProblem):
        out.add(timer_id)
        return None
    if timer_id is None:
        return None
    if session.get(TimerAccount, timer_id) is None or not (
        actor.is_admin or is_timer_member(session, timer_id=timer_id, user_id=actor.user_id)
    ):
        out.add(e.TimerInvalid())
        return None
    return timer_id


# --- edit ---------------------------------------------------------------------------------


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
    row = _load_race(session, race_id, for_update=True)
    if row is None:
        raise e.RaceNotFound(f"no race {race_id}")
    if not (actor.is_admin or actor.user_id == row.owner_id):
        raise e.NotRaceOwner(f"user {actor.user_id} may not edit race {race_id}")
    out = Collector()
    clean = validate_race(race, creating=False, current_timezone=row.timezone, out=out)
    edition = _target_edition(row, edition_id, out)
    if edition is not None:
        _check_event_ids(race, edition, out)
    renewal = (
        clean is not None and edition_id is None and all(ev.event_id is None for ev in clean.events)
    )
    if clean is not None:
        _check_past(clean, allow_past_event_creation, now, out)
        if renewal:
            _check_renewal(row, clean, now, out)
        elif edition is not None:
            _check_edition_edit(
                session,
                row,
                edition,
                clean,
                preserve_missing_events,
                allow_past_event_creation,
                now,
                out,
            )
    if out.problems:
        raise e.RaceRejected(_in_document_order(_unique(out.problems)))
    assert clean is not None
    _apply_race_fields(row, clean, now)
    if renewal:
        row.editions.append(
            Edition(
                created_at=now,
                updated_at=now,
                events=[_new_event(c, now) for c in clean.events],
            )
        )
    else:
        assert edition is not None
        _apply_edition_edit(edition, clean, preserve_missing_events, now)
    try:
        session.flush()
    except IntegrityError as exc:  # a participant arrived after the check: keep the event
        raise e.RaceRejected([e.EventHasParticipants()]) from exc
    fresh = _read_view(session.connection(), race_id)
    assert fresh is not None
    return fresh


def _unique(problems: list[e.RaceProblem]) -> list[e.RaceProblem]:
    """One whole-race rule problem of each kind (per-event problems all stay)."""
    seen: set[type] = set()
    kept = []
    for problem in problems:
        if _is_rule(problem) and not isinstance(problem, e.EventHasParticipants):
            if type(problem) in seen:
                continue
            seen.add(type(problem))
        kept.append(problem)
    return kept


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


def _check_renewal(row: Race, clean: CleanRace, now: datetime, out: Collector) -> None:
    zone = zone_or_none(clean.timezone)
    assert zone is not None
    existing = [ev for edition in row.editions for ev in edition.events]
    latest = max((event_finish(ev.start_time, ev.end_time) for ev in existing), default=None)
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


def _check_edition_edit(
    session: Session,
    row: Race,
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
) -> None:
    by_id = {ev.id: ev for ev in edition.events}
    sent: set[int] = set()
    for ev in clean.events:
        if ev.event_id is None:
            edition.events.append(_new_event(ev, now))
        else:
            sent.add(ev.event_id)
            _apply_event(by_id[ev.event_id], ev, now)
    if not preserve_missing:
        for event_id, event in by_id.items():
            if event_id not in sent:
                edition.events.remove(event)
    edition.updated_at = now


# --- read ---------------------------------------------------------------------------------


def get_race(session: Session, *, race_id: int, viewer: Actor | None = None) -> RaceView:
    """A race as its viewer may see it: drafts only for those who may read its runners
    (owner, admins, its timer's members: timing software reads the race for event times)."""
    view = _read_view(session.connection(), race_id)
    hidden = view is None or (
        view.is_draft and not _may_read_runners(session, race_id=race_id, viewer=viewer)
    )
    if view is None or hidden:
        raise e.RaceNotFound(f"no race {race_id}")
    return view


def _may_read_runners(session: Session, *, race_id: int, viewer: Actor | None) -> bool:
    access = race_access(session, race_id=race_id, actor=viewer)
    return access is not None and access.may_read_runners


@dataclass(frozen=True)
class RaceFilter:
    name: str | None = None
    state: str | None = None
    country_code: str | None = None
    start_date: date | None = None  # some event starts on or after this local date
    end_date: date | None = None  # ...and on or before this one


def list_races(
    session: Session,
    *,
    viewer: Actor | None = None,
    filters: RaceFilter | None = None,
    page: int = 1,
    per_page: int = 50,
) -> list[RaceView]:
    """One page of races (oldest first) the viewer may see, with their events."""
    filters = filters or RaceFilter()
    statement = _filtered(select(Race), filters, viewer)
    statement = (
        statement.order_by(Race.id)
        .offset((max(page, 1) - 1) * per_page)
        .limit(per_page)
        .options(selectinload(Race.editions).selectinload(Edition.events))
    )
    return [_view(row) for row in session.execute(statement).scalars()]


def _filtered(statement: Select, filters: RaceFilter, viewer: Actor | None) -> Select:
    if viewer is None:
        statement = statement.where(Race.is_draft.is_(False))
    elif not viewer.is_admin:
        statement = statement.where(or_(Race.is_draft.is_(False), Race.owner_id == viewer.user_id))
    if filters.name:
        statement = statement.where(
            func.lower(Race.name).contains(filters.name.lower(), autoescape=True)
        )
    if filters.state:
        statement = statement.where(func.upper(Race.state) == filters.state.upper())
    if filters.country_code:
        statement = statement.where(Race.country_code == filters.country_code.upper())
    if filters.start_date or filters.end_date:
        conditions = [Edition.race_id == Race.id]
        if filters.start_date:
            conditions.append(
                Event.start_time >= datetime.combine(filters.start_date, datetime.min.time())
            )
        if filters.end_date:
            conditions.append(
                Event.start_time
                < datetime.combine(filters.end_date, datetime.min.time()) + timedelta(days=1)
            )
        statement = statement.where(
            exists(
                select(Event.id)
                .join(Edition, Event.edition_id == Edition.id)
                .where(and_(*conditions))
            )
        )
    return statement

"""Which races, editions and events a connect token may see: its scope as a SQL filter.

Scope `races` covers the listed races (every edition), `timer` every race whose timer is the
token's timer (so a new race of that timer joins at once), `all` everything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import assert_never

from sqlalchemy import ColumnElement, Select, bindparam, func, select, true
from sqlalchemy.orm import Session

from startline.domain.accounts.models import ConnectToken, ConnectTokenRace
from startline.domain.accounts.service import (
    SCOPE_ALL,
    SCOPE_RACES,
    SCOPE_TIMER,
    ScopeKind,
    scope_kind,
)
from startline.domain.ids import is_storable_id
from startline.domain.races.models import Edition, Event, Race


@dataclass(frozen=True)
class RaceScope:
    kind: ScopeKind
    token_id: int
    timer_id: int | None = None

    @classmethod
    def of_token(cls, token: ConnectToken) -> RaceScope:
        return cls(kind=scope_kind(token.scope), token_id=token.id, timer_id=token.timer_id)

    def covers_race(self) -> ColumnElement[bool]:
        """A condition on `Race` that holds for the races in this scope."""
        if self.kind == SCOPE_ALL:
            return true()
        if self.kind == SCOPE_TIMER:
            return Race.timer_id == self.timer_id
        if self.kind == SCOPE_RACES:
            listed = select(ConnectTokenRace.race_id).where(
                ConnectTokenRace.token_id == self.token_id
            )
            return Race.id.in_(listed)
        assert_never(self.kind)


@dataclass(frozen=True)
class EditionInScope:
    edition: Edition
    race_name: str
    date_from: date | None  # first and last event day (local), None without events
    date_to: date | None


def editions_in_scope(session: Session, *, scope: RaceScope) -> list[EditionInScope]:
    first = func.min(Event.start_time)
    last = func.max(Event.start_time)
    rows = session.execute(
        select(Edition, Race.name, first, last)
        .join(Race, Race.id == Edition.race_id)
        .outerjoin(Event, Event.edition_id == Edition.id)
        .where(scope.covers_race())
        .group_by(Edition.id, Race.name)
        .order_by(Edition.id)
    ).all()
    return [
        EditionInScope(
            edition=edition,
            race_name=name,
            date_from=_day(date_from),
            date_to=_day(date_to),
        )
        for edition, name, date_from, date_to in rows
    ]


def events_in_scope(session: Session, *, scope: RaceScope, edition_id: int) -> list[Event]:
    if not is_storable_id(edition_id):
        return []
    return list(
        session.execute(
            select(Event)
            .join(Edition, Edition.id == Event.edition_id)
            .join(Race, Race.id == Edition.race_id)
            .where(Event.edition_id == edition_id, scope.covers_race())
            .order_by(Event.start_time, Event.id)
        ).scalars()
    )


def is_edition_in_scope(session: Session, *, scope: RaceScope, edition_id: int) -> bool:
    """Whether the edition exists and its race is in the scope."""
    if not is_storable_id(edition_id):
        return False
    found = session.execute(
        select(Edition.id)
        .join(Race, Race.id == Edition.race_id)
        .where(Edition.id == edition_id, scope.covers_race())
    ).first()
    return found is not None


def event_ids_in_scope(session: Session, *, scope: RaceScope, edition_id: int) -> set[int]:
    if not is_storable_id(edition_id):
        return set()
    return set(
        session.execute(
            select(Event.id)
            .join(Edition, Edition.id == Event.edition_id)
            .join(Race, Race.id == Edition.race_id)
            .where(Event.edition_id == edition_id, scope.covers_race())
        ).scalars()
    )


_events, _editions, _races = Event.__table__, Edition.__table__, Race.__table__
_event_of_race = _events.join(_editions, _editions.c.id == _events.c.edition_id).join(
    _races, _races.c.id == _editions.c.race_id
)
# One cached Core statement per scope kind: this check runs on every participant upsert.
_EVENT_IN_SCOPE: dict[ScopeKind, Select[tuple[int]]] = {
    SCOPE_ALL: select(_events.c.id).where(_events.c.id == bindparam("event_id")),
    SCOPE_TIMER: select(_events.c.id)
    .select_from(_event_of_race)
    .where(_events.c.id == bindparam("event_id"), _races.c.timer_id == bindparam("timer_id")),
    SCOPE_RACES: select(_events.c.id)
    .select_from(_event_of_race)
    .where(
        _events.c.id == bindparam("event_id"),
        _races.c.id.in_(
            select(ConnectTokenRace.race_id).where(
                ConnectTokenRace.token_id == bindparam("token_id")
            )
        ),
    ),
}


def is_event_in_scope(session: Session, *, scope: RaceScope, event_id: int) -> bool:
    if not is_storable_id(event_id):
        return False
    parameters = {"event_id": event_id, "timer_id": scope.timer_id, "token_id": scope.token_id}
    statement = _EVENT_IN_SCOPE[scope.kind]
    return session.connection().execute(statement, parameters).first() is not None


def _day(value: object) -> date | None:
    """min()/max() of a timestamp: a datetime, or text on SQLite."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])

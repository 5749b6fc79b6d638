"""Who may read a race's runners, and so also see the race while it is a draft: its owner,
admins, and the members of the race's timer account."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, bindparam, exists, select
from sqlalchemy.orm import Session

from startline.domain.accounts.models import TimerMember
from startline.domain.races.errors import NotRaceReader, RaceNotFound
from startline.domain.races.inputs import Actor
from startline.domain.races.models import Race
from startline.domain.scopes import is_storable_id

_RACES, _MEMBERS = Race.__table__, TimerMember.__table__
# One statement: the race's owner, draft flag, and whether the caller is a member of its timer.
_RACE_AND_MEMBERSHIP = select(
    _RACES.c.owner_id,
    _RACES.c.is_draft,
    exists()
    .where(
        and_(
            _MEMBERS.c.timer_id == _RACES.c.timer_id,
            _MEMBERS.c.user_id == bindparam("user_id"),
        )
    )
    .label("is_timer_member"),
).where(_RACES.c.id == bindparam("race_id"))


@dataclass(frozen=True)
class RaceAccess:
    """What the caller may do with a race it can see."""

    race_id: int
    is_draft: bool
    may_read_runners: bool


def race_access(session: Session, *, race_id: int, actor: Actor | None) -> RaceAccess | None:
    """The caller's access to a race; None when there is no such race."""
    if not is_storable_id(race_id):
        return None
    found = session.execute(
        _RACE_AND_MEMBERSHIP,
        {"race_id": race_id, "user_id": actor.user_id if actor is not None else 0},
    ).first()
    if found is None:
        return None
    owner_id, is_draft, is_member = found
    reader = actor is not None and (actor.is_admin or actor.user_id == owner_id or bool(is_member))
    return RaceAccess(race_id=race_id, is_draft=bool(is_draft), may_read_runners=reader)


def readable_race(session: Session, *, race_id: int, actor: Actor | None) -> RaceAccess:
    """A race whose runners the caller may read. RaceNotFound when it does not exist or is
    a draft the caller may not see; NotRaceReader when the caller may see it but not read
    its runners."""
    access = race_access(session, race_id=race_id, actor=actor)
    if access is None or (access.is_draft and not access.may_read_runners):
        raise RaceNotFound(f"no race {race_id}")
    if not access.may_read_runners:
        raise NotRaceReader(f"may not read the runners of race {race_id}")
    return access

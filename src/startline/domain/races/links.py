"""The partner and the timer a race document names: resolved to ids, or a problem each."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from startline.domain.accounts.models import Partner, TimerAccount
from startline.domain.accounts.service import find_partner_by_token, is_timer_member
from startline.domain.races import errors as e
from startline.domain.races.inputs import Actor, RaceInput
from startline.domain.races.validation import Collector

_PRINTABLE = re.compile(r"^[\x21-\x7e]{1,200}$")


def resolve_partner(
    session: Session, race: RaceInput, signing_partner_id: int | None, out: Collector
) -> int | None:
    """The partner by id (only the one that signed the request) and/or by token; both must
    name the same partner."""
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


def resolve_timer(session: Session, race: RaceInput, actor: Actor, out: Collector) -> int | None:
    """The timer, when it exists and the actor is an admin or one of its members."""
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

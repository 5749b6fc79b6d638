"""Reading runners (ORM objects, for the low-volume callers: the CLI, tests, small lists)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from startline.domain.participants.models import Participant


def participants_of_event(session: Session, *, event_id: int) -> list[Participant]:
    return list(
        session.execute(
            select(Participant).where(Participant.event_id == event_id).order_by(Participant.id)
        ).scalars()
    )


def participants_of_edition(session: Session, *, edition_id: int) -> list[Participant]:
    return list(
        session.execute(
            select(Participant)
            .where(Participant.edition_id == edition_id)
            .order_by(Participant.id)
        ).scalars()
    )


def find_participant(session: Session, *, edition_id: int, unique_id: str) -> Participant | None:
    return session.execute(
        select(Participant).where(
            Participant.edition_id == edition_id, Participant.unique_id == unique_id
        )
    ).scalar_one_or_none()

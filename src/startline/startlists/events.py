"""Naming an edition's events in a file: a cell holds an event's name (any case) or its id,
and an export writes the name unless that would read back as another event."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import select
from sqlalchemy.orm import Session

from startline.domain.ids import is_storable_id
from startline.domain.participants.errors import EditionNotFound
from startline.domain.races.models import Edition, Event


def _folded(name: str) -> str:
    return " ".join(name.casefold().split())


@dataclass(frozen=True)
class EditionEvents:
    """The events of one edition, by id, with the lookups a file needs."""

    edition_id: int
    race_id: int
    names: dict[int, str]  # event id -> name

    def resolve(self, cell: str, *, id_first: bool = False) -> int | None:
        """The event a cell means: a name matched once (case and spacing ignored), else an
        id of this edition (`id_first`: the id is tried first, for `event_id` columns);
        None when it is neither."""
        by_id = int(cell) if cell.isdigit() and len(cell) <= 10 else None
        if id_first and by_id in self.names:
            return by_id
        matches = self._by_name.get(_folded(cell), ())
        if len(matches) == 1:
            return matches[0]
        return by_id if by_id in self.names else None

    @cached_property
    def _by_name(self) -> dict[str, tuple[int, ...]]:
        found: dict[str, tuple[int, ...]] = {}
        for event_id, name in self.names.items():
            key = _folded(name)
            found[key] = (*found.get(key, ()), event_id)
        return found

    @cached_property
    def _labels(self) -> dict[int, str]:
        labels = {}
        for event_id, name in self.names.items():
            readable = self.resolve(name) == event_id
            labels[event_id] = name if readable else str(event_id)
        return labels

    def label(self, event_id: int) -> str:
        """What an export writes for an event: its name when the name reads back as this
        event, else its id."""
        return self._labels.get(event_id) or str(event_id)

    def described(self) -> str:
        """The events as a person would list them, for an error message."""
        shown = [f"{name} ({event_id})" for event_id, name in sorted(self.names.items())]
        return ", ".join(shown[:10]) + (" …" if len(shown) > 10 else "") or "none"


def edition_events(session: Session, edition_id: int) -> EditionEvents:
    """The events of `edition_id`; EditionNotFound when there is no such edition."""
    if not is_storable_id(edition_id):
        raise EditionNotFound(f"no edition {edition_id}")
    race_id = session.execute(select(Edition.race_id).where(Edition.id == edition_id)).scalar()
    if race_id is None:
        raise EditionNotFound(f"no edition {edition_id}")
    rows = session.execute(
        select(Event.id, Event.name).where(Event.edition_id == edition_id).order_by(Event.id)
    ).all()
    return EditionEvents(edition_id=edition_id, race_id=race_id, names=dict(rows))

"""Why an upsert of participants was refused: typed, with the batch position of each culprit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from startline.domain.errors import Conflict, NotFound, Retryable

ClashField = Literal["unique_id", "start_number", "chip_code"]
# Fields whose value must be unique within an edition, in the order they are reported.
UNIQUE_FIELDS: tuple[ClashField, ...] = ("unique_id", "start_number", "chip_code")


@dataclass(frozen=True, order=True)
class Clash:
    """Item `index` (0 for a single upsert) would leave `field`'s value on two participants."""

    index: int
    field: ClashField


class ParticipantClash(Conflict, Retryable):
    """A chip code, start number or unique id would end up on two participants.

    `raced`: the check before the write passed and a unique constraint refused the write, so
    a concurrent transaction got there first (on PostgreSQL possibly an insert of this same
    runner): the whole upsert, retried in a new transaction, judges it again (`retryable`)."""

    def __init__(self, clashes: list[Clash], *, raced: bool = False) -> None:
        self.raced = raced
        self.clashes = sorted(clashes, key=lambda c: (c.index, UNIQUE_FIELDS.index(c.field)))
        super().__init__(
            "; ".join(f"item {c.index}: {c.field} already taken" for c in self.clashes)
        )

    @property
    def retryable(self) -> bool:
        return self.raced


class UnknownEvent(NotFound):
    """Item `index` names an event that does not exist (or is not of the batch's edition)."""

    def __init__(self, indexes: list[int]) -> None:
        self.indexes = sorted(indexes)
        super().__init__(f"unknown event for items {self.indexes[:10]}")


class ParticipantNotFound(NotFound):
    """No runner with that key in the edition."""


class EditionNotFound(NotFound):
    """The batch's edition does not exist."""


class EventNotOfRace(NotFound):
    """Some of the named events are not events of the race (or do not exist)."""

    def __init__(self, event_ids: list[int]) -> None:
        self.event_ids = sorted(event_ids)
        super().__init__(f"not events of the race: {self.event_ids[:10]}")

"""Domain error types. Dialects map them to their own wire codes, one table each."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused the operation; nothing was changed."""


class NotFound(DomainError):
    """The named thing does not exist."""


class Conflict(DomainError):
    """The operation clashes with data that already exists."""


class Retryable(DomainError):
    """A refusal that a new transaction may decide otherwise: a concurrent transaction
    committed after this one began (its snapshot), so the same work, run again from the start
    in a new transaction, sees that write and judges it afresh. `retryable` is False for an
    instance that any transaction would refuse the same way."""

    @property
    def retryable(self) -> bool:
        return True

"""Domain error types. Dialects map them to their own wire codes, one table each."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused the operation; nothing was changed."""


class NotFound(DomainError):
    """The named thing does not exist."""


class Conflict(DomainError):
    """The operation clashes with data that already exists."""

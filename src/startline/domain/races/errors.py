"""Typed errors of the race domain: one class per problem a race document can have, and the
errors that carry them. Dialects map each class to a wire code in their own table."""

from __future__ import annotations

from collections.abc import Sequence

from startline.domain.errors import DomainError, NotFound


class RaceProblem(DomainError):
    """One thing wrong with a race create or edit; several are reported together."""

    def __init__(self, message: str = "", *, event_index: int | None = None) -> None:
        super().__init__(message or self.__class__.__doc__ or self.__class__.__name__)
        self.event_index = event_index


class RaceRejected(DomainError):
    """A create or edit was refused and nothing changed; `problems` lists every problem."""

    def __init__(self, problems: Sequence[RaceProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = list(problems)


class RaceNotFound(NotFound):
    """No race with that id (or not visible to the caller)."""


class NotRaceOwner(DomainError):
    """The caller may not change this race (only its owner or an admin may)."""


class NotRaceReader(DomainError):
    """The caller may not read this race's runners (only its owner, an admin or a member of
    its timer may)."""


class CreateThrottled(DomainError):
    """Too many new races from one client in the current window."""

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds  # until the window ends


# --- race fields ------------------------------------------------------------------------


class NameRequired(RaceProblem):
    """The race name is required."""


class NameInvalid(RaceProblem):
    """The race name is too long or contains control characters."""


class UrlStringInvalid(RaceProblem):
    """The URL string is missing, too long, or has characters other than A-Z a-z 0-9 - _."""


class UrlStringTaken(RaceProblem):
    """Another race already uses this URL string (case-insensitively)."""


class DraftFlagInvalid(RaceProblem):
    """The draft flag is not T or F."""


class AddressMissing(RaceProblem):
    """A required part of the address (city; state in US/CA) is missing."""


class StreetTooLong(RaceProblem):
    """The street is longer than 512 characters."""


class CityTooLong(RaceProblem):
    """The city is longer than 128 characters."""


class CityInvalid(RaceProblem):
    """The city contains control characters or angle brackets."""


class StateInvalid(RaceProblem):
    """The state is not a subdivision of the country (or too long)."""


class CountryInvalid(RaceProblem):
    """The country is not an ISO 3166-1 alpha-2 code."""


class ZipcodeInvalid(RaceProblem):
    """The zip code does not fit the country."""


class ContactEmailInvalid(RaceProblem):
    """The contact e-mail address is not valid."""


class TimezoneInvalid(RaceProblem):
    """The time zone is not an IANA zone name."""


class PartnerIdInvalid(RaceProblem):
    """The partner id does not match the partner of the signing identity."""


class PartnerTokenInvalid(RaceProblem):
    """The partner token names no partner."""


class TimerInvalid(RaceProblem):
    """The timer does not exist or the caller is not a member of it."""


# --- events -----------------------------------------------------------------------------


class EventsRequired(RaceProblem):
    """A race needs at least one event."""


class EventIdInvalid(RaceProblem):
    """The event id is not an event of the edition being edited."""


class EventNameInvalid(RaceProblem):
    """The event name is missing or longer than 128 characters."""


class StartTimeRequired(RaceProblem):
    """The event start time is required."""


class StartTimeInvalid(RaceProblem):
    """The event start time is malformed or does not exist in the race's time zone."""


class EndTimeInvalid(RaceProblem):
    """The event end time is malformed, does not exist locally, or is before the start."""


class EventTypeRequired(RaceProblem):
    """The event type is required."""


class EventTypeInvalid(RaceProblem):
    """The event type is not one of the known types."""


class DistanceInvalid(RaceProblem):
    """The distance is not a positive number or its unit is not K or M."""


class AgeBaseDateInvalid(RaceProblem):
    """The age calculation base date is not a date."""


# --- whole-race rules -------------------------------------------------------------------


class PastEventsNotAllowed(RaceProblem):
    """Events in the past need the allow-past-event-creation flag."""


class RenewalNotAllowed(RaceProblem):
    """A renewal must start after every existing event, with no edition still current."""


class EditionNotOfRace(RaceProblem):
    """The edition id is not an edition of this race."""


class EventHasParticipants(RaceProblem):
    """An event with participants cannot be deleted."""

"""A refused race document's problems in document order: race fields first, then each event's
in the order of its fields, then the whole-race rules."""

from __future__ import annotations

from startline.domain.races import errors as e

# The race-field problems the URL-taken problem follows (name and URL format come first).
_BEFORE_URL_TAKEN = (
    e.NameRequired,
    e.NameInvalid,
    e.UrlStringInvalid,
    e.UrlStringTaken,
)

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


def url_problem_position(problems: list[e.RaceProblem]) -> int:
    """Where the URL-taken problem goes: right after the name and URL-format problems."""
    return sum(1 for p in problems if type(p) in _BEFORE_URL_TAKEN)


def in_document_order(problems: list[e.RaceProblem]) -> list[e.RaceProblem]:
    """Race-field problems, then per-event problems by event, then whole-race rules."""
    race_level = [p for p in problems if p.event_index is None and not is_rule(p)]
    per_event = sorted(
        (p for p in problems if p.event_index is not None),
        key=lambda p: (p.event_index or 0, _EVENT_FIELD_RANK.get(type(p), 0)),
    )
    rules = [p for p in problems if p.event_index is None and is_rule(p)]
    return race_level + per_event + rules


def unique_rules(problems: list[e.RaceProblem]) -> list[e.RaceProblem]:
    """One whole-race rule problem of each kind (per-event problems all stay)."""
    seen: set[type] = set()
    kept = []
    for problem in problems:
        if is_rule(problem) and not isinstance(problem, e.EventHasParticipants):
            if type(problem) in seen:
                continue
            seen.add(type(problem))
        kept.append(problem)
    return kept


def is_rule(problem: e.RaceProblem) -> bool:
    """A whole-race rule (judged on the stored race or the clock), not a field's problem."""
    return isinstance(
        problem,
        e.PastEventsNotAllowed | e.RenewalNotAllowed | e.EditionNotOfRace | e.EventHasParticipants,
    )

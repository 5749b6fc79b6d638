"""The public runner list: one page of an edition's runners with sort, filters and search,
counts by state bucket, and the runners that changed after a journal position.

Only public fields leave this module (id, bib, names, team, country, gender, state, event);
never a birth date, chip, unique_id or contact. Each row carries the key it sorts by, built
by the same SQL expressions the ORDER BY uses, so a page can place a changed runner without
asking again (rows sort by `fixed` ascending, then `ordered` in the chosen direction, then id
in that direction)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Select,
    case,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session

from startline.domain.changes.models import Change
from startline.domain.changes.types import RUNNER_TYPES
from startline.domain.participants.models import Participant
from startline.domain.participants.search import fold
from startline.domain.public.states import (
    STATE_RANK,
    STATES_OF_BUCKET,
    Bucket,
    add_count,
    empty_counts,
)

Sort = Literal["bib", "name", "state"]
SORTS: tuple[Sort, ...] = ("bib", "name", "state")
MAX_PER_PAGE = 500
MAX_IDS = 500  # ids in one "watched only" request
MAX_SEARCH = 100  # characters of search text kept
# A delta covering more runner entries than this tells the page to reload its view instead.
MAX_DELTA_ENTRIES = 2000

_P = Participant.__table__.c


@dataclass(frozen=True, slots=True)
class RunnerQuery:
    edition_id: int
    event_id: int | None = None
    gender: str | None = None
    bucket: Bucket | None = None
    search: str | None = None  # a bib (exact) or part of a name (folded)
    ids: tuple[int, ...] | None = None  # only these runners (a watch list)
    sort: Sort = "bib"
    descending: bool = False
    page: int = 1
    per_page: int = 100


@dataclass(frozen=True, slots=True)
class SearchTerms:
    """What a search matches: a runner whose bib is `bib`, or whose folded name contains
    `folded`. Pages use the same two tests on the runners a change brings."""

    bib: str
    folded: str


def search_terms(text: str | None) -> SearchTerms | None:
    if text is None:
        return None
    bib = text.strip()[:MAX_SEARCH]
    if not bib:
        return None
    return SearchTerms(bib=bib, folded=fold(bib))


# Sort keys: (always ascending, ordered by the chosen direction).
SortKey = tuple[list[Any], list[Any]]


@dataclass(frozen=True, slots=True)
class PublicRunner:
    id: int
    bib: str | None
    first_name: str
    last_name: str
    team: str | None
    country: str | None
    gender: str | None
    state: str
    event_id: int
    keys: dict[str, SortKey] = field(default_factory=dict)  # by sort name
    folded_name: str | None = None  # in deltas: the folded "first last" searches match


@dataclass(frozen=True, slots=True)
class RunnerPage:
    runners: list[PublicRunner]
    total: int  # runners matching the filters
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


# --- sort keys as SQL ----------------------------------------------------------------------


def _text(expression: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    """Byte order on both databases (PostgreSQL's default collation is the locale's)."""
    return expression.collate("C") if dialect == "postgresql" else expression


def _bib_columns(dialect: str) -> list[ColumnElement[Any]]:
    """Numeric bibs by value (without leading zeros: by length, then digits), then text bibs
    (by the same two: `A2` before `A10`), then runners without a bib. One digit test a row,
    written the same on both databases."""
    trimmed = func.ltrim(_P.start_number, "0")
    return [
        case(
            (_P.start_number.is_(None), 2),
            (func.ltrim(_P.start_number, "0123456789") == "", 0),
            else_=1,
        ),
        func.coalesce(func.length(trimmed), 0),
        _text(func.coalesce(trimmed, ""), dialect),
    ]


def _sort_columns(sort: Sort, dialect: str) -> tuple[list[ColumnElement[Any]], list[Any]]:
    """(always ascending, by direction) for a sort."""
    if sort == "name":
        return [], [
            _text(func.lower(_P.last_name), dialect),
            _text(func.lower(_P.first_name), dialect),
        ]
    if sort == "state":
        rank = case(STATE_RANK, value=_P.state, else_=len(STATE_RANK))
        return [], [rank, *_bib_columns(dialect)]
    bib = _bib_columns(dialect)
    # Runners without a bib come last both ways.
    return [case((_P.start_number.is_(None), 1), else_=0)], bib


def _labelled(sort: Sort, dialect: str) -> tuple[list[Any], list[Any]]:
    fixed, ordered = _sort_columns(sort, dialect)
    return (
        [col.label(f"{sort}_f{i}") for i, col in enumerate(fixed)],
        [col.label(f"{sort}_o{i}") for i, col in enumerate(ordered)],
    )


_PUBLIC_COLUMNS = (
    _P.id,
    _P.start_number,
    _P.first_name,
    _P.last_name,
    _P.team_name,
    _P.country_code,
    _P.gender,
    _P.state,
    _P.event_id,
)


# How many key columns each sort has (fixed, ordered): the labels _labelled() gives them.
_KEY_LABELS = {
    sort: tuple(
        tuple(f"{sort}_{kind}{i}" for i in range(len(columns)))
        for kind, columns in zip(("f", "o"), _sort_columns(sort, "sqlite"), strict=True)
    )
    for sort in SORTS
}


def _runner(row: Any, sorts: Iterable[Sort], folded: bool = False) -> PublicRunner:
    mapping = row._mapping
    keys: dict[str, SortKey] = {}
    for sort in sorts:
        fixed, ordered = _KEY_LABELS[sort]
        keys[sort] = ([mapping[name] for name in fixed], [mapping[name] for name in ordered])
    return PublicRunner(
        id=row.id,
        bib=row.start_number,
        first_name=row.first_name,
        last_name=row.last_name,
        team=row.team_name,
        country=row.country_code,
        gender=row.gender,
        state=row.state,
        event_id=row.event_id,
        keys=keys,
        folded_name=row.search_text if folded else None,
    )


# --- the list ------------------------------------------------------------------------------


def _conditions(query: RunnerQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [_P.edition_id == query.edition_id]
    if query.event_id is not None:
        conditions.append(_P.event_id == query.event_id)
    if query.gender is not None:
        conditions.append(_P.gender == query.gender)
    if query.bucket is not None:
        conditions.append(_P.state.in_(STATES_OF_BUCKET[query.bucket]))
    if query.ids is not None:
        conditions.append(_P.id.in_(query.ids[:MAX_IDS]) if query.ids else literal(False))
    terms = search_terms(query.search)
    if terms is not None:
        conditions.append(
            or_(
                _P.start_number == terms.bib,
                _P.search_text.contains(terms.folded, autoescape=True),
            )
        )
    return conditions


def list_runners(session: Session, *, query: RunnerQuery) -> RunnerPage:
    """One page of the runners matching `query`, in its order, and how many match."""
    dialect = session.get_bind().dialect.name
    conditions = _conditions(query)
    per_page = max(1, min(query.per_page, MAX_PER_PAGE))
    page = max(1, query.page)
    fixed, ordered = _labelled(query.sort, dialect)
    # By the selected labels: each key is computed once a row.
    order = [column.asc() for column in fixed]
    for column in [*ordered, _P.id]:
        order.append(column.desc() if query.descending else column.asc())
    statement: Select[Any] = (
        select(*_PUBLIC_COLUMNS, *fixed, *ordered)
        .where(*conditions)
        .order_by(*order)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    rows = session.execute(statement).all()
    if page == 1 and len(rows) < per_page:
        total = len(rows)
    else:
        counted = select(func.count()).select_from(Participant).where(*conditions)
        total = int(session.execute(counted).scalar_one())
    return RunnerPage(
        runners=[_runner(row, (query.sort,)) for row in rows],
        total=total,
        page=page,
        per_page=per_page,
    )


@dataclass(frozen=True, slots=True)
class Tally:
    """Runners per state bucket, per event and (key None) for the whole edition, and the
    genders they have (for the filter)."""

    counts: dict[int | None, dict[str, int]]
    genders: list[str]


def tally(session: Session, *, edition_id: int) -> Tally:
    rows = session.execute(
        select(_P.event_id, _P.state, _P.gender, func.count())
        .where(_P.edition_id == edition_id)
        .group_by(_P.event_id, _P.state, _P.gender)
    )
    counts: dict[int | None, dict[str, int]] = {None: empty_counts()}
    genders: set[str] = set()
    for event_id, state, gender, number in rows:
        add_count(counts.setdefault(event_id, empty_counts()), state, number)
        add_count(counts[None], state, number)
        if gender is not None:
            genders.add(gender)
    return Tally(counts=counts, genders=sorted(genders))


# --- what changed --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EditionChanges:
    """Runners of an edition changed in (since, up_to]: as they are now, and the ids that
    left the edition. `reset`: too many to list; `structure`: an event or the edition
    itself changed (the page should load afresh)."""

    since: int
    up_to: int
    runners: list[PublicRunner]
    removed: list[int]
    reset: bool = False
    structure: bool = False
    last_position: int | None = None  # the edition's last entry in the range


def edition_changes(session: Session, *, edition_id: int, since: int, up_to: int) -> EditionChanges:
    entries = session.execute(
        select(Change.type, Change.participant_id, Change.position)
        .where(Change.position > since, Change.position <= up_to)
        .where(Change.edition_id == edition_id)
        .order_by(Change.position)
        .limit(MAX_DELTA_ENTRIES + 1)
    ).all()
    if len(entries) > MAX_DELTA_ENTRIES:
        return EditionChanges(since, up_to, [], [], reset=True)
    runner_ids: list[int] = []
    seen: set[int] = set()
    structure = False
    for kind, participant_id, _ in entries:
        if kind in RUNNER_TYPES:
            if participant_id is not None and participant_id not in seen:
                seen.add(participant_id)
                runner_ids.append(participant_id)
        else:
            structure = True
    runners = runners_by_id(session, edition_id=edition_id, ids=runner_ids)
    present = {runner.id for runner in runners}
    removed = [rid for rid in runner_ids if rid not in present]
    last = entries[-1].position if entries else None
    return EditionChanges(since, up_to, runners, removed, structure=structure, last_position=last)


def runners_by_id(session: Session, *, edition_id: int, ids: Sequence[int]) -> list[PublicRunner]:
    """These runners of the edition, with every sort key and the folded name."""
    if not ids:
        return []
    dialect = session.get_bind().dialect.name
    keys: list[Any] = []
    for sort in SORTS:
        fixed, ordered = _labelled(sort, dialect)
        keys += [*fixed, *ordered]
    found: list[PublicRunner] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = session.execute(
            select(*_PUBLIC_COLUMNS, _P.search_text, *keys)
            .where(_P.edition_id == edition_id, _P.id.in_(chunk))
            .order_by(_P.id)
        )
        found += [_runner(row, SORTS, folded=True) for row in rows]
    return found

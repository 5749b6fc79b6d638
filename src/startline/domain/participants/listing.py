"""A race's start list as timing software reads it: the runners of some of its events,
filtered, sorted and paged over all those events together, read in one statement.

Timing software pulls whole start lists page after page (50,000 runners in pages of 2,500
within 2 s on SQLite, bench/ "participants GET"), so the page is read with driver-level SQL
into plain tuples (docs/architecture.md, "How code reaches the database"): fixed column
names, every value a parameter, the per-database texts side by side in `_SQL`, and the
stored values converted by SQLAlchemy's own result processors."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Literal, NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from startline.domain.ids import MAX_ID, is_storable_id
from startline.domain.participants.errors import EventNotOfRace
from startline.domain.participants.models import Participant
from startline.domain.races.models import Edition, Event

# What a start list can be sorted by (domain words; a dialect maps its own names).
SortField = Literal[
    "id",
    "created",
    "age",
    "name",  # last name, then first name
    "first_name",
    "last_name",
    "start_number",  # numeric bibs by value, then the others by text
    "chip_code",
    "gender",
]
SORT_FIELDS: tuple[SortField, ...] = (
    "id",
    "created",
    "age",
    "name",
    "first_name",
    "last_name",
    "start_number",
    "chip_code",
    "gender",
)


@dataclass(frozen=True)
class SortKey:
    field: SortField
    descending: bool = False


@dataclass(frozen=True)
class RunnerQuery:
    """Which runners, in which order, which page. Text searches are contains-searches that
    ignore the case of ASCII letters (the same on both databases); the bib search is exact.
    Ties always break on the runner's id, ascending; missing values sort last either way."""

    event_ids: tuple[int, ...]
    page: int = 1
    per_page: int = 50
    sort: tuple[SortKey, ...] = ()
    after_id: int | None = None  # id strictly greater
    before_id: int | None = None  # id strictly less
    modified_since: datetime | None = None  # last change on or after
    created_since: datetime | None = None  # created on or after
    created_before: datetime | None = None  # created strictly before
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None  # startline keeps no e-mail: a search for one finds nobody
    start_number: str | None = None


class ListedRunner(NamedTuple):
    """One runner of a start list (a tuple: a page holds thousands)."""

    id: int
    event_id: int
    start_number: str | None
    chip_code: str | None
    first_name: str
    last_name: str
    date_of_birth: date | None
    country_code: str | None
    team_name: str | None
    gender: str | None
    origin: str
    created_at: datetime
    updated_at: datetime
    age: int | None  # whole years on the event's age reference day


@dataclass(frozen=True)
class ListedEvent:
    id: int
    edition_id: int
    age_reference: date  # the event's age calculation date, else the day it starts


@dataclass(frozen=True)
class StartList:
    events: tuple[ListedEvent, ...]  # as requested (repeats collapsed)
    runners: list[ListedRunner]  # the page, in sort order


def age_on(born: date, day: date) -> int:
    """Whole years from `born` to `day` (a 29 February birthday turns over on 1 March)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


# --- the events ----------------------------------------------------------------------------

_EVENTS, _EDITIONS = Event.__table__, Edition.__table__
_EVENTS_OF_RACE = (
    select(
        _EVENTS.c.id,
        _EVENTS.c.edition_id,
        _EVENTS.c.age_calc_base_date,
        _EVENTS.c.start_time,
    )
    .join(_EDITIONS, _EDITIONS.c.id == _EVENTS.c.edition_id)
    .where(
        _EDITIONS.c.race_id == bindparam("race_id"),
        _EVENTS.c.id.in_(bindparam("event_ids", expanding=True)),
    )
)


def events_of_race(
    session: Session, *, race_id: int, event_ids: Sequence[int]
) -> tuple[ListedEvent, ...]:
    """The named events (any edition of the race) in the order named, repeats collapsed;
    EventNotOfRace when any of them is not an event of the race."""
    wanted = list(dict.fromkeys(event_ids))
    storable = [i for i in wanted if is_storable_id(i)]
    found: dict[int, ListedEvent] = {}
    if storable:
        for event_id, edition_id, base_date, start_time in session.execute(
            _EVENTS_OF_RACE, {"race_id": race_id, "event_ids": storable}
        ):
            found[event_id] = ListedEvent(event_id, edition_id, base_date or start_time.date())
    missing = [i for i in wanted if i not in found]
    if missing:
        raise EventNotOfRace(missing)
    return tuple(found[i] for i in wanted)


# --- the page ------------------------------------------------------------------------------

_COLUMNS = (
    "p.id, p.event_id, p.start_number, p.chip_code, p.first_name, p.last_name, "
    "p.date_of_birth, p.country_code, p.team_name, p.gender, p.origin, p.created_at, "
    "p.updated_at"
)
# What differs between the databases, side by side. Text is ordered and lower-cased byte by
# byte on both (SQLite's BINARY collation and lower(); PostgreSQL's "C" collation, under
# which lower() also folds ASCII letters only), so both give the same order and matches.
_SQL: dict[str, dict[str, str]] = {
    "sqlite": {
        "mark": "?",
        "lower": "lower({})",
        "text": "{}",
        "is_number": "({0} <> '' AND {0} NOT GLOB '*[^0-9]*')",
        "reference_day": "coalesce(ev.age_calc_base_date, substr(ev.start_time, 1, 10))",
        "age": (
            "(CAST(substr({ref}, 1, 4) AS INTEGER) - CAST(substr(p.date_of_birth, 1, 4) AS "
            "INTEGER) - (substr({ref}, 6, 5) < substr(p.date_of_birth, 6, 5)))"
        ),
    },
    "postgresql": {
        "mark": "%s",
        "lower": 'lower({} COLLATE "C")',
        "text": '{} COLLATE "C"',
        "is_number": "({0} ~ '^[0-9]+$')",
        "reference_day": "coalesce(ev.age_calc_base_date, ev.start_time::date)",
        "age": (
            "(extract(year from {ref})::integer - extract(year from p.date_of_birth)::integer"
            " - (to_char({ref}, 'MMDD') < to_char(p.date_of_birth, 'MMDD'))::integer)"
        ),
    },
}


def _order_terms(key: SortKey, sql: dict[str, str]) -> list[str]:
    """ORDER BY terms of one sort key; a leading `x IS NULL` term keeps missing values last
    in both directions."""
    way = " DESC" if key.descending else ""
    lower, text = sql["lower"], sql["text"]
    field = key.field
    if field == "id":
        return [f"p.id{way}"]
    if field == "created":
        return [f"p.created_at{way}"]
    if field in ("first_name", "last_name"):
        return [f"{lower.format('p.' + field)}{way}"]
    if field == "name":
        return [f"{lower.format('p.last_name')}{way}", f"{lower.format('p.first_name')}{way}"]
    if field == "start_number":
        number = sql["is_number"].format("p.start_number")
        digits = "ltrim(p.start_number, '0')"
        return [
            "p.start_number IS NULL",
            f"CASE WHEN {number} THEN 0 ELSE 1 END{way}",
            f"CASE WHEN {number} THEN length({digits}) END{way}",
            f"{text.format(f'CASE WHEN {number} THEN {digits} ELSE p.start_number END')}{way}",
        ]
    if field in ("chip_code", "gender"):
        return [f"p.{field} IS NULL", f"{text.format('p.' + field)}{way}"]
    if field == "age":
        age = sql["age"].format(ref=sql["reference_day"])
        return ["p.date_of_birth IS NULL", f"{age}{way}"]
    raise ValueError(f"unknown sort field {field!r}")


def _order_by(sort: Sequence[SortKey], sql: dict[str, str]) -> str:
    terms: list[str] = []
    seen: set[str] = set()
    for key in sort:
        if key.field in seen:
            continue  # a repeated key cannot change the order
        seen.add(key.field)
        terms += _order_terms(key, sql)
        if key.field == "id":
            break  # ids are unique: nothing after them matters
    if "id" not in seen:
        terms.append("p.id")
    return ", ".join(terms)


def _like_pattern(term: str) -> str:
    """`%term%` with LIKE's wildcards escaped and ASCII letters lower-cased."""
    lowered = "".join(ch.lower() if "A" <= ch <= "Z" else ch for ch in term)
    escaped = lowered.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_runners(session: Session, *, race_id: int, query: RunnerQuery) -> StartList:
    """One page of the start list of `query.event_ids` (events of race `race_id`, any
    edition): EventNotOfRace when one of them is not.

    One statement in two steps: the page's ids (from the event index alone where it can),
    then those rows, sorted again (a few thousand at most). Sorting whole rows of every
    runner of the events cost 240 ms a page of 50,000 on SQLite; sorting ids alone 87 ms;
    merging the events' index ranges, already in id order, 57 ms (measured, last page)."""
    events = events_of_race(session, race_id=race_id, event_ids=query.event_ids)
    connection = session.connection()
    dialect = connection.dialect
    sql = _SQL[dialect.name]
    mark = sql["mark"]
    conditions, values = _conditions(query, sql, dialect)
    event_ids = [event.id for event in events]
    join = _AGE_JOIN if any(key.field == "age" for key in query.sort) else ""
    order = _order_by(query.sort, sql)
    by_id = _id_order(query.sort)
    params: list[Any] = []
    if by_id is not None:
        # The events' index ranges, each in id order, merged (SQLite: MERGE (UNION ALL)).
        arms = []
        for event_id in event_ids:
            arms.append(
                f"SELECT p.id FROM participants p WHERE "  # noqa: S608 (fixed names only)
                f"{' AND '.join([f'p.event_id = {mark}', *conditions])}"
            )
            params += [event_id, *values]
        page = f"{' UNION ALL '.join(arms)} ORDER BY 1{by_id}"
    else:
        if dialect.name == "sqlite":
            of_events = f"p.event_id IN ({', '.join([mark] * len(event_ids))})"
            params += event_ids
        else:
            of_events = f"p.event_id = ANY({mark})"
            params.append(event_ids)
        params += values
        page = (
            f"SELECT p.id FROM participants p{join} "  # noqa: S608 (fixed names only)
            f"WHERE {' AND '.join([of_events, *conditions])} ORDER BY {order}"
        )
    params += [query.per_page, (query.page - 1) * query.per_page]
    statement = (
        f"SELECT {_COLUMNS} FROM participants p{join} "  # noqa: S608 (fixed names only)
        f"WHERE p.id IN ({page} LIMIT {mark} OFFSET {mark}) ORDER BY {order}"
    )
    rows = connection.exec_driver_sql(statement, tuple(params)).all()
    return StartList(events=events, runners=_runners(rows, events, dialect))


_AGE_JOIN = " JOIN events ev ON ev.id = p.event_id"


def _id_order(sort: Sequence[SortKey]) -> str | None:
    """ " DESC" or "" when the list is sorted by id alone; None otherwise."""
    if not sort:
        return ""
    first = sort[0]
    if first.field != "id":
        return None
    return " DESC" if first.descending else ""


def _conditions(
    query: RunnerQuery, sql: dict[str, str], dialect: Dialect
) -> tuple[list[str], list[Any]]:
    """The query's filters other than the events, with their parameters."""
    mark = sql["mark"]
    stamp_in = _stamp_in(dialect)
    conditions: list[str] = []
    values: list[Any] = []
    for condition, value in (
        ("p.id > {}", None if query.after_id is None else min(query.after_id, MAX_ID)),
        ("p.id < {}", None if query.before_id is None else min(query.before_id, MAX_ID + 1)),
        ("p.updated_at >= {}", _stamp(query.modified_since, stamp_in)),
        ("p.created_at >= {}", _stamp(query.created_since, stamp_in)),
        ("p.created_at < {}", _stamp(query.created_before, stamp_in)),
        ("p.start_number = {}", query.start_number),
    ):
        if value is not None:
            conditions.append(condition.format(mark))
            values.append(value)
    for column, term in (("p.first_name", query.first_name), ("p.last_name", query.last_name)):
        if term:
            conditions.append(f"{sql['lower'].format(column)} LIKE {mark} ESCAPE '\\'")
            values.append(_like_pattern(term))
    if query.email:
        conditions.append("1 = 0")
    return conditions, values


def _stamp(value: datetime | None, stamp_in: Callable[[Any], Any]) -> Any:
    return None if value is None else stamp_in(value)


@lru_cache(maxsize=4)
def _stamp_in(dialect: Dialect) -> Callable[[Any], Any]:
    """SQLAlchemy's own conversion of a timestamp parameter for this dialect."""
    column = Participant.__table__.c.updated_at.type.dialect_impl(dialect)
    return column.bind_processor(dialect) or (lambda value: value)


def _sqlite_stamp(stored: str) -> datetime:
    # SQLAlchemy's SQLite format, naive UTC (db/base.py): fromisoformat reads it in C, where
    # the processors' chain cost 5.5 us a value (a third of a page's Python time); with the
    # zone in the text, not .replace(tzinfo=...), which alone cost 4x the parse (measured).
    return datetime.fromisoformat(stored + "+00:00")


@lru_cache(maxsize=4)
def _readers(dialect: Dialect) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """How to read a stored timestamp and a stored date on this dialect."""
    if dialect.name == "sqlite":
        return _sqlite_stamp, date.fromisoformat
    table = Participant.__table__
    stamp = table.c.updated_at.type.dialect_impl(dialect).result_processor(dialect, None)
    day = table.c.date_of_birth.type.dialect_impl(dialect).result_processor(dialect, None)
    return stamp or (lambda value: value), day or (lambda value: value)


_new_runner = tuple.__new__  # a NamedTuple's own __new__ is a Python-level lambda


def _runners(
    rows: Sequence[Any],
    events: Sequence[ListedEvent],
    dialect: Dialect,
) -> list[ListedRunner]:
    reference = {event.id: event.age_reference for event in events}
    stamp_out, date_out = _readers(dialect)
    # Runners written together (a batch) share their timestamps and sit side by side in id
    # order: a stored value equal to the previous row's is not read again.
    last_stored: Any = None
    last_read: Any = None
    runners: list[ListedRunner] = []
    append = runners.append
    for (
        runner_id,
        event_id,
        bib,
        chip,
        first,
        last,
        born,
        country,
        team,
        gender,
        origin,
        created,
        updated,
    ) in rows:
        if born is not None:
            born = date_out(born)
            age: int | None = age_on(born, reference[event_id])
        else:
            age = None
        if created != last_stored:
            last_stored, last_read = created, stamp_out(created)
        created_at = last_read
        updated_at = last_read if updated == created else stamp_out(updated)
        append(
            _new_runner(
                ListedRunner,
                (
                    runner_id,
                    event_id,
                    bib,
                    chip,
                    first,
                    last,
                    born,
                    country,
                    team,
                    gender,
                    origin,
                    created_at,
                    updated_at,
                    age,
                ),
            )
        )
    return runners

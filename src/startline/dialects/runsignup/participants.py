"""RunSignup's participants on the wire: the GET's parameters -> the domain's RunnerQuery, a
start list -> RunSignup's JSON array or XML, and the POST's document -> the domain's runner
writes plus the problems only the wire can see (malformed bibs, chips, dates, genders)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from startline.dialects.runsignup.codec import RawJson, write_json
from startline.dialects.runsignup.document import identifier
from startline.dialects.runsignup.errors import (
    RUNNER_PROBLEM_CODES,
    ApiError,
    Code,
    Detail,
)
from startline.dialects.runsignup.params import flag_param, positive_int_param, text_param
from startline.dialects.runsignup.render import EASTERN, moment
from startline.domain.participants.listing import (
    ListedRunner,
    RunnerQuery,
    SortField,
    SortKey,
    StartList,
)
from startline.domain.participants.rules import value_problem
from startline.domain.participants.service import RunnerProblem, RunnerWrite
from startline.domain.participants.vocabulary import MAX_CHIP

# --- GET: parameters ----------------------------------------------------------------------

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 2500  # larger pages are clamped (RunSignup: "cannot be more than 2500")
MAX_EVENTS = 100
MAX_DIGITS = 18  # ids and timestamps: longer numbers are refused before int() sees them
# The last second a calendar holds (9999-12-31 23:59:59 UTC): later timestamps mean "never".
MAX_TIMESTAMP = 253_402_300_799

SORT_FIELDS: dict[str, SortField] = {
    "registration_id": "id",
    "registration_date": "created",
    "age": "age",
    "name": "name",
    "first_name": "first_name",
    "last_name": "last_name",
    "bib_num": "start_number",
    "chip_num": "chip_code",
    "gender": "gender",
}
_DIRECTIONS = {"asc": False, "desc": True}


def _invalid() -> ApiError:
    return ApiError(Code.INVALID_PARAMETERS)


def _number(raw: str) -> int:
    word = raw.strip()
    if not (word.isascii() and word.isdigit() and len(word) <= MAX_DIGITS):
        raise _invalid()
    return int(word)


def _optional_number(params: dict[str, str], name: str) -> int | None:
    raw = params.get(name, "")
    return None if raw.strip() == "" else _number(raw)


def _moment(params: dict[str, str], name: str) -> datetime | None:
    seconds = _optional_number(params, name)
    if seconds is None:
        return None
    return datetime.fromtimestamp(min(seconds, MAX_TIMESTAMP), UTC)


def event_ids(raw: str | None) -> tuple[int, ...]:
    """`event_id`: one id or a comma list, repeats collapsed; error 3 when missing, not a
    list of non-negative integers, or naming more than MAX_EVENTS events. A number too long
    to be an id names no event (301 later)."""
    if raw is None or raw.strip() == "":
        raise _invalid()
    ids: dict[int, None] = {}
    for item in raw.split(","):
        word = item.strip()
        if not (word.isascii() and word.isdigit()):
            raise _invalid()
        ids[int(word) if len(word) <= MAX_DIGITS else 0] = None
        if len(ids) > MAX_EVENTS:
            raise _invalid()
    return tuple(ids)


def sort_keys(raw: str | None) -> tuple[SortKey, ...]:
    """`sort`: a comma list of `field [ASC|DESC]` (case-insensitive); error 3 otherwise."""
    if raw is None or raw.strip() == "":
        return ()
    keys: list[SortKey] = []
    seen: set[SortField] = set()
    for item in raw.split(","):
        words = item.split()
        if not 1 <= len(words) <= 2:
            raise _invalid()
        sort_field = SORT_FIELDS.get(words[0].lower())
        direction = _DIRECTIONS.get(words[1].lower()) if len(words) == 2 else False
        if sort_field is None or direction is None:
            raise _invalid()
        if sort_field not in seen:  # a repeat cannot change the order
            seen.add(sort_field)
            keys.append(SortKey(sort_field, direction))
    return tuple(keys)


@dataclass(frozen=True)
class ListOptions:
    """What the answer shows beyond the runners themselves."""

    supports_nb: bool  # a neutral gender is "X" (else null)
    questions: bool  # include_questions=T: "question_responses": []
    addons: bool  # include_registration_addons=T: "participant_addons": []


def runner_query(params: dict[str, str]) -> tuple[RunnerQuery, ListOptions]:
    """The GET's parameters; ApiError 3 for any malformed one (decision: wave 2, 14)."""
    query = RunnerQuery(
        event_ids=event_ids(params.get("event_id")),
        page=positive_int_param(params, "page", 1),
        per_page=min(
            positive_int_param(params, "results_per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE
        ),
        sort=sort_keys(params.get("sort")),
        after_id=_optional_number(params, "after_registration_id"),
        before_id=_optional_number(params, "before_registration_id"),
        modified_since=_moment(params, "modified_after_timestamp"),
        created_since=_moment(params, "registered_after_timestamp"),
        created_before=_moment(params, "registered_before_timestamp"),
        first_name=text_param(params, "search_first_name"),
        last_name=text_param(params, "search_last_name"),
        email=text_param(params, "search_email"),
        start_number=text_param(params, "search_bib"),
    )
    options = ListOptions(
        supports_nb=flag_param(params, "supports_nb"),
        questions=flag_param(params, "include_questions"),
        addons=flag_param(params, "include_registration_addons"),
    )
    return query, options


# --- GET: the answer ----------------------------------------------------------------------

MAX_SAFE_INTEGER = 2**53 - 1
NO_MONEY = "$0.00"
_MONEY_FIELDS = (
    "race_fee",
    "offline_payment_amount",
    "processing_fee",
    "processing_fee_paid_by_user",
    "processing_fee_paid_by_race",
    "partner_fee",
    "affiliate_profit",
    "extra_fees",
    "amount_paid",
)
_GENDERS = {"male": "M", "female": "F"}


def bib_value(bib: str | None) -> int | str | None:
    """A JSON number when the bib is a plain decimal integer (no leading zeros) that a
    double holds exactly, else the text."""
    if bib is None:
        return None
    if bib.isdigit() and len(bib) <= 16 and bib.isascii():
        number = int(bib)
        if number <= MAX_SAFE_INTEGER and (bib[0] != "0" or bib == "0"):
            return number
    return bib


# What varies from runner to runner, in this order; everything else is fixed.
_VARYING = (
    "registration_id",
    "event_id",
    "bib_num",
    "chip_num",
    "age",
    "registration_date",
    "team_name",
    "last_modified",
    "imported",
    "first_name",
    "last_name",
    "country_code",
    "dob",
    "gender",
)
Varying = tuple[Any, ...]  # int / str / None, as JSON shows them


def _varying(
    runner: ListedRunner, supports_nb: bool, registered: dict[datetime, str | None]
) -> Varying:
    """The runner's values of _VARYING, as RunSignup shows them."""
    created = runner.created_at
    registration_date = registered.get(created)
    if registration_date is None:  # runners of one batch share a timestamp: format it once
        registration_date = registered[created] = moment(created.astimezone(EASTERN))
    gender = runner.gender
    if gender is not None:
        gender = _GENDERS.get(gender) or ("X" if supports_nb and gender == "neutral" else None)
    born = runner.date_of_birth
    country = runner.country_code
    return (
        runner.id,
        runner.event_id,
        bib_value(runner.start_number),
        runner.chip_code,
        runner.age,
        registration_date,
        runner.team_name,
        int(runner.updated_at.timestamp()),
        "F" if runner.origin == "runsignup" else "T",
        runner.first_name,
        runner.last_name,
        country.upper() if country else None,
        born.isoformat() if born else None,
        gender,
    )


def _layout(values: Sequence[Any], options: ListOptions) -> dict[str, Any]:
    """RunSignup's participant object around the varying values (in _VARYING order)."""
    (
        registration_id,
        event_id,
        bib_num,
        chip_num,
        age,
        registration_date,
        team_name,
        last_modified,
        imported,
        first_name,
        last_name,
        country_code,
        dob,
        gender,
    ) = values
    body: dict[str, Any] = {
        "registration_id": registration_id,
        "event_id": event_id,
        "rsu_transaction_id": None,
        "transaction_id": None,
        "bib_num": bib_num,
        "chip_num": chip_num,
        "age": age,
        "registration_date": registration_date,
        "team_id": None,
        "team_name": team_name,
        "team_type_id": None,
        "team_type": None,
        "team_gender": None,
        "team_bib_num": None,
        "last_modified": last_modified,
        "imported": imported,
    }
    for name in _MONEY_FIELDS:
        body[name] = NO_MONEY
    body["user"] = {
        "user_id": registration_id,
        "first_name": first_name,
        "middle_name": None,
        "last_name": last_name,
        "email": None,
        "address": {
            "street": None,
            "city": None,
            "state": None,
            "zipcode": None,
            "country_code": country_code,
        },
        "dob": dob,
        "gender": gender,
        "phone": None,
        "profile_image_url": None,
    }
    if options.questions:
        body["question_responses"] = []
    if options.addons:
        body["participant_addons"] = []
    return body


def participant_object(
    runner: ListedRunner, options: ListOptions, registered: dict[datetime, str | None]
) -> dict[str, Any]:
    return _layout(_varying(runner, options.supports_nb, registered), options)


# --- the JSON writer of a start list ------------------------------------------------------
# A page of 2,500 runners as dicts through json.dumps cost ~75 ms of dict building and ~60 ms
# of encoding (cProfile, SQLite, 50,000 runners); filling a template made once from
# _layout costs a fraction of that. Tests hold it byte for byte to codec.write_json of the
# objects that participant_object builds.

_encode_string = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) uses
# The slots of the template, by _VARYING index: the runner's id fills `user.user_id` too.
_SLOTS = (0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 9, 10, 11, 12, 13)


@lru_cache(maxsize=8)
def _template(options: ListOptions) -> str:
    """The JSON of a participant object with a %s slot for each varying value (in _SLOTS
    order), made from _layout itself so the two cannot differ in shape."""
    marks = [f"\ue000{index}\ue000" for index in range(len(_VARYING))]
    text = write_json(_layout(marks, options)).decode("utf-8")
    parts = re.split('"\ue000([0-9]+)\ue000"', text)
    if tuple(int(index) for index in parts[1::2]) != _SLOTS:
        raise RuntimeError("the participant layout changed: update _SLOTS")
    return "%s".join(part.replace("%", "%%") for part in parts[0::2])


def start_list_json(start_list: StartList, options: ListOptions) -> RawJson:
    """RunSignup's JSON: a top-level array with one element per requested event; the
    element's `event.participants` is always empty (RunSignup's quirk), its runners are in
    the element's own `participants`. The values are _varying's, inlined (the loop runs
    2,500 times a page)."""
    template = _template(options)
    text = _encode_string
    last_created: datetime | None = None
    registration_date = ""
    groups: dict[int, list[str]] = {event.id: [] for event in start_list.events}
    genders = {"male": '"M"', "female": '"F"', "neutral": '"X"' if options.supports_nb else "null"}
    for (
        runner_id,
        event_id,
        bib,
        chip,
        first_name,
        last_name,
        born,
        country,
        team,
        gender,
        origin,
        created,
        updated,
        age,
    ) in start_list.runners:
        if created != last_created:  # a batch's runners share it: format it once
            last_created = created
            registration_date = text(moment(created.astimezone(EASTERN)) or "")
        number = bib_value(bib)
        groups[event_id].append(
            template
            % (
                runner_id,
                event_id,
                "null" if number is None else text(number) if type(number) is str else number,
                "null" if chip is None else text(chip),
                "null" if age is None else age,
                registration_date,
                "null" if team is None else text(team),
                int(updated.timestamp()),
                '"F"' if origin == "runsignup" else '"T"',
                runner_id,
                text(first_name),
                text(last_name),
                text(country.upper()) if country else "null",
                f'"{born.isoformat()}"' if born else "null",
                genders.get(gender or "", "null"),
            )
        )
    return RawJson(
        (
            "["
            + ",".join(
                f'{{"event":{{"event_id":{event_id},"participants":[]}},'
                f'"participants":[{",".join(runners)}]}}'
                for event_id, runners in groups.items()
            )
            + "]"
        ).encode("utf-8")
    )


def start_list_objects(start_list: StartList, options: ListOptions) -> list[dict[str, Any]]:
    """The JSON answer as plain objects (what start_list_json writes)."""
    registered: dict[datetime, str | None] = {}
    groups: dict[int, list[Any]] = {event.id: [] for event in start_list.events}
    for runner in start_list.runners:
        groups[runner.event_id].append(participant_object(runner, options, registered))
    return [
        {"event": {"event_id": event_id, "participants": []}, "participants": runners}
        for event_id, runners in groups.items()
    ]


def start_list_xml(start_list: StartList, options: ListOptions) -> dict[str, Any]:
    """RunSignup's XML: `<events><event><event_id/><participants><participant>...`, the
    runners inside their event."""
    return {
        "events": [
            {"event": {"event_id": element["event"]["event_id"], "participants": runners}}
            for element in start_list_objects(start_list, options)
            for runners in (element["participants"],)
        ]
    }


# --- POST: the document -------------------------------------------------------------------

MAX_PARTICIPANTS_PER_POST = 10_000
_BIB = re.compile(r"[A-Za-z0-9_-]{1,100}")
_CHIP = re.compile(r"[\x20-\x7e]{1,32}")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_NO_DATE = "XXXX-XX-XX"  # RunSignup's way of saying "no date of birth"
_GENDER_WORDS = {"M": "male", "F": "female", "X": "neutral"}
# The order of an item's details: the registration, then the user's fields, then bib, chip.
DETAIL_ORDER = (
    Code.REGISTRATION_NOT_FOUND,
    Code.REGISTRATION_LISTED_TWICE,
    Code.FIRST_NAME_REQUIRED,
    Code.LAST_NAME_REQUIRED,
    Code.DOB_INVALID,
    Code.GENDER_INVALID,
    Code.COUNTRY_INVALID,
    Code.BIB_INVALID,
    Code.BIB_TAKEN,
    Code.CHIP_INVALID,
    Code.CHIP_TAKEN,
    Code.EVENT_NOT_FOUND,
)
_RANK = {code: rank for rank, code in enumerate(DETAIL_ORDER)}


class _Unreadable:
    """A value of a shape no field accepts (an object, a list, a boolean)."""


UNREADABLE = _Unreadable()


def _text(value: Any) -> str | None | _Unreadable:
    """A scalar as trimmed text: numbers as PHP would print an integer; "" is None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return UNREADABLE
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else UNREADABLE
    if isinstance(value, str):
        return value.strip() or None
    return UNREADABLE


@dataclass
class PlannedPost:
    """A participant POST read from its document: the domain writes (one per item, in
    order) and the problems only the wire can see."""

    writes: list[RunnerWrite]
    details: list[Detail] = field(default_factory=list)


def items_of(document: Any) -> list[Any]:
    """The `participants` list of a decoded `request`; ApiError 11 when there is none."""
    if not isinstance(document, dict) or "participants" not in document:
        raise ApiError(Code.INVALID_SUBMISSION)
    items = document["participants"]
    if items is None:
        return []
    if isinstance(items, dict):  # an XML container, or one participant on its own
        items = items.get("participant", items)
        if isinstance(items, dict):
            items = [items]
    if not isinstance(items, list):
        raise ApiError(Code.INVALID_SUBMISSION)
    return items


def plan_post(document: Any, *, event_id: int, today: date) -> PlannedPost:
    """Every item of the document as a runner write of event `event_id`; 298 with detail 288
    when there are more than MAX_PARTICIPANTS_PER_POST items."""
    items = items_of(document)
    if len(items) > MAX_PARTICIPANTS_PER_POST:
        raise ApiError(
            Code.PARTICIPANTS_NOT_SAVED,
            [Detail(Code.TOO_MANY_PARTICIPANTS, index=MAX_PARTICIPANTS_PER_POST)],
        )
    planned = PlannedPost(writes=[])
    for index, item in enumerate(items):
        item = item if isinstance(item, dict) else {}
        problems: list[Code] = []
        write = _write_of(item, event_id, today, problems)
        planned.writes.append(write)
        planned.details += [Detail(code, index) for code in problems]
    return planned


def _write_of(
    item: dict[str, Any], event_id: int, today: date, problems: list[Code]
) -> RunnerWrite:
    values: dict[str, Any] = {}
    for key, name, read in (
        ("bib_num", "start_number", _bib),
        ("chip_num", "chip_code", _chip),
    ):
        if key in item:
            value = read(item[key], problems)
            if value is not UNREADABLE:
                values[name] = value
    raw_id = item.get("registration_id")
    if not (raw_id is None or (isinstance(raw_id, str) and raw_id.strip() == "")):
        # An edit: bib and chip only; `user` is not editable through the API ("Safe Sync").
        try:
            participant_id = identifier(raw_id)
        except ValueError:
            participant_id = None
        if participant_id is None:
            problems.append(Code.REGISTRATION_NOT_FOUND)
            participant_id = 0  # no runner has it: the domain finds nothing to write
        return RunnerWrite(values=values, participant_id=participant_id, in_event=event_id)
    user = item.get("user")
    user = user if isinstance(user, dict) else {}
    address = user.get("address")
    address = address if isinstance(address, dict) else {}
    for code, name in (
        (Code.FIRST_NAME_REQUIRED, "first_name"),
        (Code.LAST_NAME_REQUIRED, "last_name"),
    ):
        text = _text(user.get(name))
        if not isinstance(text, str) or value_problem(name, text) is not None:
            problems.append(code)
            text = "?"  # judged further (bib, chip) under a stand-in; never written
        values[name] = text
    born = _date_of_birth(user.get("dob"), today, problems)
    gender = _gender(user.get("gender"), item.get("gender"), problems)
    country = _country(address.get("country_code"), problems)
    values["event_id"] = event_id
    optional: dict[str, object] = {
        "date_of_birth": born,
        "gender": gender,
        "country_code": country,
    }
    values.update((name, value) for name, value in optional.items() if value is not None)
    for name in ("start_number", "chip_code"):
        if values.get(name, "") is None:
            del values[name]  # a new runner starts without
    return RunnerWrite(values=values)


def _bib(value: Any, problems: list[Code]) -> str | None | _Unreadable:
    """Letters, digits, - and _, at most 100 (decision: wave 2, 1); else 115."""
    text = _text(value)
    if text is None or (isinstance(text, str) and _BIB.fullmatch(text)):
        return text
    problems.append(Code.BIB_INVALID)
    return UNREADABLE


def _chip(value: Any, problems: list[Code]) -> str | None | _Unreadable:
    """1 to 32 printable ASCII characters (decision: wave 2, 1); else 116."""
    text = _text(value)
    if text is None or (isinstance(text, str) and len(text) <= MAX_CHIP and _CHIP.fullmatch(text)):
        return text
    problems.append(Code.CHIP_INVALID)
    return UNREADABLE


def _date_of_birth(value: Any, today: date, problems: list[Code]) -> date | None:
    text = _text(value)
    if text is None or text == _NO_DATE:
        return None
    match = _DATE.fullmatch(text) if isinstance(text, str) else None
    try:
        born = date(*(int(part) for part in match.groups())) if match else None
    except ValueError:
        born = None
    if born is None or born.year < 1900 or born > today:
        problems.append(Code.DOB_INVALID)
        return None
    return born


def _gender(in_user: Any, beside_user: Any, problems: list[Code]) -> str | None:
    """M, F or X, from `user.gender`, else from `gender` beside `user` (RunSignup's iOS app
    sends it there)."""
    text = _text(in_user)
    if text is None:
        text = _text(beside_user)
    if text is None:
        return None
    word = _GENDER_WORDS.get(text.upper()) if isinstance(text, str) else None
    if word is None:
        problems.append(Code.GENDER_INVALID)
    return word


def _country(value: Any, problems: list[Code]) -> str | None:
    text = _text(value)
    if text is None:
        return None
    if isinstance(text, str) and value_problem("country_code", text) is None:
        return text.lower()  # stored as the Tracx door stores it
    problems.append(Code.COUNTRY_INVALID)
    return None


def refusal(wire: Sequence[Detail], domain: Sequence[RunnerProblem]) -> ApiError:
    """298 with every problem of the request, by item, then field order."""
    details = set(wire)
    for problem in domain:
        details.add(Detail(RUNNER_PROBLEM_CODES[(problem.field, problem.reason)], problem.index))
    ordered = sorted(details, key=lambda d: (d.index or 0, _RANK.get(d.code, len(_RANK))))
    return ApiError(Code.PARTICIPANTS_NOT_SAVED, ordered)


def saved(participant_ids: Sequence[int | None]) -> dict[str, Any]:
    """The success body: each item's registration id, in request order."""
    return {"participants": [{"registration_id": i} for i in participant_ids]}

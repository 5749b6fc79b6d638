"""The /rest routes: login, logout, race create/edit, race and races reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from startline.dialects.runsignup import openapi, signature
from startline.dialects.runsignup.auth import (
    Credentials,
    actor_of,
    authenticate,
    credentials_from,
    login,
    logout,
)
from startline.dialects.runsignup.codec import DocumentError, read_json, read_xml
from startline.dialects.runsignup.document import (
    MAX_YEAR,
    MIN_YEAR,
    RaceDocument,
    flag,
    identifier,
    race_input,
)
from startline.dialects.runsignup.errors import ApiError, Code, api_error
from startline.dialects.runsignup.params import (
    flag_param,
    positive_int_param,
    read_params,
    text_param,
)
from startline.dialects.runsignup.participants import (
    PlannedPost,
    event_ids,
    plan_post,
    refusal,
    runner_query,
    saved,
    start_list_json,
    start_list_xml,
)
from startline.dialects.runsignup.render import EventsShown, race_object
from startline.dialects.runsignup.respond import (
    DEFAULT_FORMAT,
    Format,
    error_response,
    is_format,
    lenient_format,
    query_format,
    respond,
    response_format,
)
from startline.dialects.runsignup.throttle import ip_bucket, key_bucket, throttle
from startline.domain.errors import DomainError
from startline.domain.participants.listing import events_of_race, list_runners
from startline.domain.participants.service import write_runners
from startline.domain.races import create as race_create
from startline.domain.races import edit as race_edit
from startline.domain.races import read as race_read
from startline.domain.races.access import readable_race
from startline.domain.races.errors import EditionNotOfRace
from startline.domain.races.inputs import Actor, CreateLimit, RaceView
from startline.http.context import Services, services_of

router = APIRouter(tags=["runsignup"])
MAX_PER_PAGE = 1000


@dataclass(frozen=True)
class Call:
    params: dict[str, str]
    header_secret: str | None
    client_ip: str
    path_race_id: str | None = None
    fmt: Format = DEFAULT_FORMAT  # the response format, for work that renders only one


@dataclass(frozen=True)
class Reply:
    """A success body; `xml` differs from `json` where RunSignup wraps XML in a root (and
    the JSON of a start list is a top-level array)."""

    json: Any
    xml: dict[str, Any]


Work = Callable[[Services, Call], Reply]


async def _serve(request: Request, work: Work, path_race_id: str | None = None) -> Response:
    fmt = query_format(request.url.query)
    try:
        params = await read_params(request)
        fmt = lenient_format(params, fmt)
        fmt = response_format(params)
        call = Call(
            params=params,
            header_secret=request.headers.get("x-rsu-api-secret"),
            client_ip=request.client.host if request.client else "unknown",
            path_race_id=path_race_id,
            fmt=fmt,
        )
        reply = await run_in_threadpool(work, services_of(request), call)
    except ApiError as error:
        return error_response(fmt, error)
    return respond(fmt, reply.json if fmt == "json" else reply.xml)


def _same(document: dict[str, Any]) -> Reply:
    return Reply(json=document, xml=document)


# --- login / logout -----------------------------------------------------------------------


def _login(services: Services, call: Call) -> Reply:
    email, password = call.params.get("email"), call.params.get("password")
    if email is None or password is None:
        raise ApiError(Code.INVALID_PARAMETERS)
    with services.db.transaction() as session:
        throttle(session, services.settings, ip_bucket(call.client_ip))
        result = login(session, email=email, password=password, settings=services.settings)
    if result.error is not None:
        raise ApiError(result.error)
    if result.user is None:
        raise ApiError(Code.TMP_CREDENTIALS_FAILED)
    body = {
        "tmp_key": result.tmp_key,
        "tmp_secret": result.tmp_secret,
        "user": {
            "user_id": result.user.id,
            "first_name": result.user.first_name,
            "last_name": result.user.last_name,
            "email": result.user.email,
        },
    }
    return Reply(json=body, xml={"login": body})


def _logout(services: Services, call: Call) -> Reply:
    key, secret = call.params.get("tmp_key", ""), call.params.get("tmp_secret", "")
    with services.db.transaction() as session:
        logout(session, key=key, secret=secret)
        throttle(session, services.settings, key_bucket("tmp_key", key))  # undoes the logout
    return Reply(json={"success": "T"}, xml={"response": {"success": "T"}})


@router.post("/rest/login", name="rsu_login", openapi_extra=openapi.LOGIN)
async def login_route(request: Request) -> Response:
    """Log in with e-mail and password; returns temporary credentials."""
    return await _serve(request, _login)


@router.post("/rest/logout", name="rsu_logout", openapi_extra=openapi.LOGOUT)
async def logout_route(request: Request) -> Response:
    """End temporary credentials."""
    return await _serve(request, _logout)


# --- race create / edit -------------------------------------------------------------------


def _decoded_request(params: dict[str, str]) -> Any:
    """The `request` document in `request_format`: 3 when missing or the format is unknown,
    11 when it cannot be read."""
    raw = params.get("request")
    if raw is None or raw.strip() == "":
        raise ApiError(Code.INVALID_PARAMETERS)
    request_format = params.get("request_format", "").strip().lower() or DEFAULT_FORMAT
    if not is_format(request_format):
        raise ApiError(Code.INVALID_PARAMETERS)
    try:
        return read_json(raw) if request_format == "json" else read_xml(raw)
    except DocumentError as exc:
        raise ApiError(Code.INVALID_SUBMISSION) from exc


def _document(params: dict[str, str]) -> RaceDocument:
    return race_input(_decoded_request(params))


def _option(call: Call, document: RaceDocument, name: str) -> Any:
    value = call.params.get(name)
    if value is None or value == "":
        return document.top_level.get(name)
    return value


def _flag_option(call: Call, document: RaceDocument, name: str) -> bool:
    try:
        return bool(flag(_option(call, document, name)))
    except ValueError as exc:
        raise ApiError(Code.INVALID_PARAMETERS) from exc


@dataclass(frozen=True)
class RaceRequest:
    """A race POST's document and options, parsed before any database work."""

    document: RaceDocument
    allow_past: bool
    race_id: int | None  # None: create
    edition_id: int | None | EditionNotOfRace = None
    preserve_missing: bool = False


def _race_request(call: Call) -> RaceRequest:
    """The document and options; ApiError in the order a client meets them."""
    document = _document(call.params)
    allow_past = _flag_option(call, document, "allow_past_event_creation")
    raw_race_id = call.path_race_id or call.params.get("race_id") or ""
    if raw_race_id.strip() == "":
        return RaceRequest(document=document, allow_past=allow_past, race_id=None)
    race_id = _race_id(raw_race_id)
    try:
        edition_id: int | None | EditionNotOfRace = identifier(
            _option(call, document, "race_event_days_id")
        )
    except ValueError:
        edition_id = EditionNotOfRace()
    return RaceRequest(
        document=document,
        allow_past=allow_past,
        race_id=race_id,
        edition_id=edition_id,
        preserve_missing=_flag_option(call, document, "preserve_missing_events"),
    )


def _write_race(
    session: Session,
    services: Services,
    call: Call,
    request: RaceRequest,
    actor: Actor,
    partner_id: int | None,
) -> RaceView:
    settings = services.settings
    try:
        if request.race_id is None:
            view = race_create.create_race(
                session,
                actor=actor,
                race=request.document.race,
                allow_past_event_creation=request.allow_past,
                signing_partner_id=partner_id,
                create_limit=CreateLimit(
                    bucket=f"rsu-race-create:{call.client_ip}",
                    limit=settings.race_create_limit,
                    window_seconds=settings.race_create_window_seconds,
                ),
            )
        else:
            view = race_edit.edit_race(
                session,
                actor=actor,
                race_id=request.race_id,
                race=request.document.race,
                preserve_missing_events=request.preserve_missing,
                allow_past_event_creation=request.allow_past,
                edition_id=request.edition_id,
            )
    except DomainError as exc:
        refused = Code.CREATE_FAILED if request.race_id is None else Code.EDIT_FAILED
        raise api_error(exc, refused=refused) from exc
    return view


def _post_race(services: Services, call: Call) -> Reply:
    """Credentials, signature and race in one write transaction: one commit instead of two
    (py-spy: the separate signature transaction was 22 % of race POST). The nonce is spent
    once the signature is accepted, whatever the race outcome (docs/decisions.md), so the
    race work runs in a savepoint that a refusal rolls back alone."""
    credentials = credentials_from(call.params, call.header_secret)
    if credentials is None:
        raise ApiError(Code.AUTH_FAILED)
    # Parsed outside the transaction (and SQLite's write lock); a document error is
    # answered only after the signature is checked and spent, as before.
    request: RaceRequest | ApiError
    try:
        request = _race_request(call)
    except ApiError as error:
        request = error
    settings = services.settings
    outcome: RaceView | ApiError
    with services.db.transaction() as session:
        user = authenticate(session, credentials, settings)
        # Before the signature: a throttled request rolls back and leaves its nonce unspent.
        throttle(session, settings, key_bucket(credentials.kind, credentials.key))
        signer = signature.verify(
            session,
            call.params.get("protected_api_signature"),
            box=services.box,
            window_seconds=settings.signature_window_seconds,
            nonce_window_seconds=settings.nonce_window_seconds,
        )
        if isinstance(request, ApiError):
            outcome = request
        else:
            try:
                with session.begin_nested():
                    outcome = _write_race(
                        session, services, call, request, actor_of(user), signer.partner_id
                    )
            except ApiError as error:
                outcome = error
    if isinstance(outcome, ApiError):
        raise outcome
    # Rendered after the commit, outside SQLite's write lock.
    return _same({"race": race_object(outcome, base_url=settings.base_url, show_contact=True)})


def _race_id(raw: str) -> int:
    try:
        race_id = identifier(raw)
    except ValueError as exc:
        raise ApiError(Code.RACE_NOT_FOUND) from exc
    if race_id is None:
        raise ApiError(Code.INVALID_PARAMETERS)
    return race_id


@router.post("/rest/race", name="rsu_race_post", openapi_extra=openapi.RACE_POST)
async def race_post_route(request: Request) -> Response:
    """Create a race, or edit one when race_id is given."""
    return await _serve(request, _post_race)


@router.post("/rest/race/{race_id}", name="rsu_race_post_by_id", openapi_extra=openapi.RACE_POST)
async def race_post_by_id_route(request: Request, race_id: str) -> Response:
    """Edit a race."""
    return await _serve(request, _post_race, path_race_id=race_id)


# --- reads --------------------------------------------------------------------------------


def _optional_actor(services: Services, call: Call) -> Actor | None:
    credentials = credentials_from(call.params, call.header_secret)
    settings = services.settings
    limited = settings.rate_limit_per_minute > 0
    if credentials is None:
        if limited:
            with services.db.transaction() as session:
                throttle(session, settings, ip_bucket(call.client_ip))
        return None
    return _actor(services, credentials)


def _actor(services: Services, credentials: Credentials) -> Actor:
    """The user of these credentials (6 when they are wrong), counted against the limit."""
    settings = services.settings
    limited = settings.rate_limit_per_minute > 0
    # Temporary credentials record their use and a limit counts, so those need a write.
    writes = credentials.kind == "tmp_key" or limited
    scope = services.db.transaction if writes else services.db.reading
    with scope() as session:
        actor = actor_of(authenticate(session, credentials, settings))
        throttle(session, settings, key_bucket(credentials.kind, credentials.key))
        return actor


def _get_race(services: Services, call: Call) -> Reply:
    raw = call.path_race_id or call.params.get("race_id") or ""
    race_id = _race_id(raw)
    actor = _optional_actor(services, call)
    future_only = flag_param(call.params, "future_events_only")
    try:
        with services.db.reading() as session:
            view = race_read.get_race(session, race_id=race_id, viewer=actor)
    except DomainError as exc:
        raise api_error(exc) from exc
    body = race_object(
        view,
        base_url=services.settings.base_url,
        show_contact=view.may_be_managed_by(actor),
        events=EventsShown.FUTURE if future_only else EventsShown.ALL,
    )
    return _same({"race": body})


def _date_param(call: Call, name: str) -> date | None:
    raw = call.params.get(name, "").strip()
    if raw == "":
        return None
    for pattern in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            parsed = datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
        if MIN_YEAR <= parsed.year <= MAX_YEAR:
            return parsed
    raise ApiError(Code.INVALID_DATE)


def _get_races(services: Services, call: Call) -> Reply:
    page = positive_int_param(call.params, "page", 1)
    per_page = min(positive_int_param(call.params, "results_per_page", 50), MAX_PER_PAGE)
    filters = race_read.RaceFilter(
        name=text_param(call.params, "name"),
        state=text_param(call.params, "state"),
        country_code=text_param(call.params, "country_code"),
        start_date=_date_param(call, "start_date"),
        end_date=_date_param(call, "end_date"),
    )
    with_events = flag_param(call.params, "events")
    actor = _optional_actor(services, call)
    with services.db.reading() as session:
        views = race_read.list_races(
            session, viewer=actor, filters=filters, page=page, per_page=per_page
        )
    items = [
        {
            "race": race_object(
                view,
                base_url=services.settings.base_url,
                show_contact=view.may_be_managed_by(actor),
                events=EventsShown.CURRENT if with_events else EventsShown.NONE,
            )
        }
        for view in views
    ]
    return _same({"races": items})


@router.get("/rest/race", name="rsu_race_get", openapi_extra=openapi.RACE_GET_BY_QUERY)
async def race_get_route(request: Request) -> Response:
    """A race by `race_id` query parameter."""
    return await _serve(request, _get_race)


@router.get("/rest/race/{race_id}", name="rsu_race_get_by_id", openapi_extra=openapi.RACE_GET)
async def race_get_by_id_route(request: Request, race_id: str) -> Response:
    """A race."""
    return await _serve(request, _get_race, path_race_id=race_id)


@router.get("/rest/races", name="rsu_races_get", openapi_extra=openapi.RACES_GET)
async def races_get_route(request: Request) -> Response:
    """A page of races."""
    return await _serve(request, _get_races)


# --- participants -------------------------------------------------------------------------


def _get_participants(services: Services, call: Call) -> Reply:
    """A page of a start list. Checks in the order of docs/contracts/runsignup.md: race id
    (201), credentials (6), race and reader (201, 7), parameters (3), events (301)."""
    race_id = _race_id(call.path_race_id or "")
    credentials = credentials_from(call.params, call.header_secret)
    if credentials is None:
        raise ApiError(Code.AUTH_FAILED)
    actor = _actor(services, credentials)
    with services.db.reading() as session:
        try:
            readable_race(session, race_id=race_id, actor=actor)
            query, options = runner_query(call.params)
            start_list = list_runners(session, race_id=race_id, query=query)
        except DomainError as exc:
            raise api_error(exc) from exc
    if call.fmt == "json":
        return Reply(json=start_list_json(start_list, options), xml={})
    return Reply(json=None, xml=start_list_xml(start_list, options))


@dataclass(frozen=True)
class ParticipantPost:
    """A participant POST read before any database work."""

    event_id: int
    planned: PlannedPost


class _Refused(Exception):
    """Leaves the savepoint of a refused participant POST (rolling its writes back)."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(str(error))
        self.error = error


def _participant_post(call: Call) -> ParticipantPost:
    """`event_id` (one id, else 3), the `request` document (3, 11) and its items."""
    events = event_ids(call.params.get("event_id"))
    if len(events) != 1:
        raise ApiError(Code.INVALID_PARAMETERS)
    document = _decoded_request(call.params)
    today = datetime.now(UTC).date()
    return ParticipantPost(events[0], plan_post(document, event_id=events[0], today=today))


def _save_participants(
    session: Session, race_id: int, actor: Actor, post: ParticipantPost | ApiError
) -> list[int | None] | ApiError:
    try:
        readable_race(session, race_id=race_id, actor=actor)
        if isinstance(post, ApiError):
            return post
        (event,) = events_of_race(session, race_id=race_id, event_ids=[post.event_id])
    except DomainError as exc:
        return api_error(exc)
    planned = post.planned
    try:
        with session.begin_nested():
            report = write_runners(
                session, edition_id=event.edition_id, writes=planned.writes, origin="runsignup"
            )
            if report.problems or planned.details:
                raise _Refused(refusal(planned.details, report.problems))
    except _Refused as refused:  # the savepoint's journal entries went with it
        return refused.error
    return report.participant_ids


def _post_participants(services: Services, call: Call) -> Reply:
    """Add runners, set or clear bibs and chips; all or nothing. Checks: race id (201),
    credentials (6), the request limit (14), race and reader (201, 7), parameters and
    document (3, 11), event (301), then every item (298 with a detail per problem)."""
    race_id = _race_id(call.path_race_id or "")
    credentials = credentials_from(call.params, call.header_secret)
    if credentials is None:
        raise ApiError(Code.AUTH_FAILED)
    # Read outside the transaction (and SQLite's write lock); its errors wait their turn.
    post: ParticipantPost | ApiError
    try:
        post = _participant_post(call)
    except ApiError as error:
        post = error
    settings = services.settings
    with services.db.transaction() as session:
        user = authenticate(session, credentials, settings)
        throttle(session, settings, key_bucket(credentials.kind, credentials.key))
        outcome = _save_participants(session, race_id, actor_of(user), post)
    if isinstance(outcome, ApiError):
        raise outcome
    return _same(saved(outcome))


@router.get(
    "/rest/race/{race_id}/participants",
    name="rsu_participants_get",
    openapi_extra=openapi.PARTICIPANTS_GET,
)
async def participants_get_route(request: Request, race_id: str) -> Response:
    """A page of the runners of some of the race's events."""
    return await _serve(request, _get_participants, path_race_id=race_id)


@router.post(
    "/rest/race/{race_id}/participants",
    name="rsu_participants_post",
    openapi_extra=openapi.PARTICIPANTS_POST,
)
async def participants_post_route(request: Request, race_id: str) -> Response:
    """Add runners to an event, or set and clear their bibs and chips."""
    return await _serve(request, _post_participants, path_race_id=race_id)

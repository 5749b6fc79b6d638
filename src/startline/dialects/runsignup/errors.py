"""The RunSignup dialect's one error table: every wire code by name, its text, the envelope,
and which code each domain error becomes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from startline.domain.errors import DomainError
from startline.domain.participants import errors as participant_errors
from startline.domain.participants.service import Reason
from startline.domain.races import errors as race_errors


class Code(IntEnum):
    """RunSignup's error codes (the contract's table) and ours in the 290s."""

    UNKNOWN_METHOD = 1
    HTTP_METHOD_NOT_SUPPORTED = 2
    INVALID_PARAMETERS = 3
    UNKNOWN_ERROR = 4
    AUTH_FAILED = 6
    PERMISSION_DENIED = 7
    INVALID_DATE = 9
    FORMAT_NOT_SUPPORTED = 10
    INVALID_SUBMISSION = 11
    LOGIN_REQUIRED = 13
    THROTTLED = 14
    INVALID_ID = 15
    USER_NOT_FOUND = 101
    LOGIN_INVALID = 102
    ACCOUNT_LOCKED = 103
    STREET_TOO_LONG = 109
    CITY_TOO_LONG = 110
    STATE_INVALID = 111
    COUNTRY_INVALID = 112
    ZIPCODE_INVALID = 113
    BIB_INVALID = 115
    CHIP_INVALID = 116
    CITY_INVALID = 123
    TMP_CREDENTIALS_FAILED = 151
    RACE_NOT_FOUND = 201
    CREATE_FAILED = 202
    NAME_REQUIRED = 203
    NAME_INVALID = 204
    ADDRESS_INVALID = 205
    EDIT_FAILED = 213
    TIMEZONE_INVALID = 214
    URL_STRING_INVALID = 215
    URL_STRING_TAKEN = 216
    EVENTS_REQUIRED = 217
    EVENT_NAME_INVALID = 218
    START_TIME_REQUIRED = 219
    START_TIME_INVALID = 220
    PARTNER_ID_INVALID = 221
    DRAFT_FLAG_INVALID = 222
    EVENT_ID_INVALID = 223
    RENEWAL_NOT_ALLOWED = 224
    EVENT_TYPE_REQUIRED = 225
    CONTACT_EMAIL_INVALID = 226
    PAST_EVENTS_NOT_ALLOWED = 227
    EVENT_TYPE_INVALID = 228
    PARTNER_TOKEN_INVALID = 229
    BIB_TAKEN = 280
    CHIP_TAKEN = 281
    REGISTRATION_NOT_FOUND = 282
    FIRST_NAME_REQUIRED = 283
    LAST_NAME_REQUIRED = 284
    DOB_INVALID = 285
    GENDER_INVALID = 286
    REGISTRATION_LISTED_TWICE = 287
    TOO_MANY_PARTICIPANTS = 288
    SIGNATURE_INVALID = 290
    SIGNATURE_EXPIRED = 291
    SIGNATURE_REPLAYED = 292
    EVENT_HAS_PARTICIPANTS = 293
    TIMER_INVALID = 294
    END_TIME_INVALID = 295
    DISTANCE_INVALID = 296
    AGE_BASE_DATE_INVALID = 297
    PARTICIPANTS_NOT_SAVED = 298
    UNAVAILABLE = 299  # sent with HTTP 503 and Retry-After
    EVENT_NOT_FOUND = 301


MESSAGES: dict[Code, str] = {
    Code.UNKNOWN_METHOD: "Unknown method",
    Code.HTTP_METHOD_NOT_SUPPORTED: "HTTP method not supported for this REST method",
    Code.INVALID_PARAMETERS: "Invalid parameters",
    Code.UNKNOWN_ERROR: "Unknown error",
    Code.AUTH_FAILED: "Key authentication failed",
    Code.PERMISSION_DENIED: "Permission Denied",
    Code.INVALID_DATE: "Invalid date",
    Code.FORMAT_NOT_SUPPORTED: "Response format not supported for this REST method",
    Code.INVALID_SUBMISSION: "Invalid submission",
    Code.LOGIN_REQUIRED: "You must be logged in to the API as a user",
    Code.THROTTLED: "Request throttled.",
    Code.INVALID_ID: "Invalid ID.",
    Code.USER_NOT_FOUND: "User not found",
    Code.LOGIN_INVALID: "Email or password invalid",
    Code.ACCOUNT_LOCKED: (
        "Account has been temporarily locked due to excessive failed login attempts."
    ),
    Code.STREET_TOO_LONG: "Street address cannot be more than 512 characters",
    Code.CITY_TOO_LONG: "City cannot be more than 128 characters",
    Code.STATE_INVALID: "State is invalid",
    Code.COUNTRY_INVALID: "Country is invalid",
    Code.ZIPCODE_INVALID: "Zip code is invalid",
    Code.BIB_INVALID: "Bib number is invalid.",
    Code.CHIP_INVALID: "Chip number is invalid.",
    Code.CITY_INVALID: "City contains invalid characters.",
    Code.TMP_CREDENTIALS_FAILED: "Failed to create temporary credentials.",
    Code.RACE_NOT_FOUND: "Race not found.",
    Code.CREATE_FAILED: "Failed to create race.",
    Code.NAME_REQUIRED: "Race name is required.",
    Code.NAME_INVALID: "Race name is invalid.",
    Code.ADDRESS_INVALID: "Race address is not valid.",
    Code.EDIT_FAILED: "Failed to edit race.",
    Code.TIMEZONE_INVALID: "Timezone is invalid.",
    Code.URL_STRING_INVALID: "Race URL is invalid.",
    Code.URL_STRING_TAKEN: "Race URL is already in use. Please use a different URL.",
    Code.EVENTS_REQUIRED: "You must have at least one event.",
    Code.EVENT_NAME_INVALID: "Event name is invalid.",
    Code.START_TIME_REQUIRED: "Event start time is required.",
    Code.START_TIME_INVALID: "Event start time is not valid.",
    Code.PARTNER_ID_INVALID: "Race partner id not valid.",
    Code.DRAFT_FLAG_INVALID: 'Draft race flag not valid ("T" or "F" expected).',
    Code.EVENT_ID_INVALID: "Event id not valid.",
    Code.RENEWAL_NOT_ALLOWED: "Race renewal is not allowed.",
    Code.EVENT_TYPE_REQUIRED: "Event type is required.",
    Code.CONTACT_EMAIL_INVALID: "Contact email address is invalid.",
    Code.PAST_EVENTS_NOT_ALLOWED: (
        'Past event creation requires the "allow_past_event_creation" flag'
    ),
    Code.EVENT_TYPE_INVALID: "Event type is invalid.",
    Code.PARTNER_TOKEN_INVALID: "Partner token is invalid.",
    Code.BIB_TAKEN: "Bib number is already in use.",
    Code.CHIP_TAKEN: "Chip number is already in use.",
    Code.REGISTRATION_NOT_FOUND: "Registration not found in this event.",
    Code.FIRST_NAME_REQUIRED: "First name is required.",
    Code.LAST_NAME_REQUIRED: "Last name is required.",
    Code.DOB_INVALID: "Date of birth is invalid.",
    Code.GENDER_INVALID: "Gender is invalid.",
    Code.REGISTRATION_LISTED_TWICE: "Registration listed twice.",
    Code.TOO_MANY_PARTICIPANTS: "Too many participants in one request.",
    Code.SIGNATURE_INVALID: "Protected API signature is invalid.",
    Code.SIGNATURE_EXPIRED: "Protected API signature has expired.",
    Code.SIGNATURE_REPLAYED: "Protected API signature was already used.",
    Code.EVENT_HAS_PARTICIPANTS: "Event has participants and cannot be deleted.",
    Code.TIMER_INVALID: "Timer not valid.",
    Code.END_TIME_INVALID: "Event end time is not valid.",
    Code.DISTANCE_INVALID: "Event distance is not valid.",
    Code.AGE_BASE_DATE_INVALID: "Age calculation base date is not valid.",
    Code.PARTICIPANTS_NOT_SAVED: "Failed to save participants.",
    Code.UNAVAILABLE: "Service temporarily unavailable. Please try again.",
    Code.EVENT_NOT_FOUND: "Event not found.",
}

# One wire code per domain problem type (the details of a refused create or edit).
PROBLEM_CODES: dict[type[race_errors.RaceProblem], Code] = {
    race_errors.NameRequired: Code.NAME_REQUIRED,
    race_errors.NameInvalid: Code.NAME_INVALID,
    race_errors.UrlStringInvalid: Code.URL_STRING_INVALID,
    race_errors.UrlStringTaken: Code.URL_STRING_TAKEN,
    race_errors.DraftFlagInvalid: Code.DRAFT_FLAG_INVALID,
    race_errors.AddressMissing: Code.ADDRESS_INVALID,
    race_errors.StreetTooLong: Code.STREET_TOO_LONG,
    race_errors.CityTooLong: Code.CITY_TOO_LONG,
    race_errors.CityInvalid: Code.CITY_INVALID,
    race_errors.StateInvalid: Code.STATE_INVALID,
    race_errors.CountryInvalid: Code.COUNTRY_INVALID,
    race_errors.ZipcodeInvalid: Code.ZIPCODE_INVALID,
    race_errors.ContactEmailInvalid: Code.CONTACT_EMAIL_INVALID,
    race_errors.TimezoneInvalid: Code.TIMEZONE_INVALID,
    race_errors.PartnerIdInvalid: Code.PARTNER_ID_INVALID,
    race_errors.PartnerTokenInvalid: Code.PARTNER_TOKEN_INVALID,
    race_errors.TimerInvalid: Code.TIMER_INVALID,
    race_errors.EventsRequired: Code.EVENTS_REQUIRED,
    race_errors.EventIdInvalid: Code.EVENT_ID_INVALID,
    race_errors.EventNameInvalid: Code.EVENT_NAME_INVALID,
    race_errors.StartTimeRequired: Code.START_TIME_REQUIRED,
    race_errors.StartTimeInvalid: Code.START_TIME_INVALID,
    race_errors.EndTimeInvalid: Code.END_TIME_INVALID,
    race_errors.EventTypeRequired: Code.EVENT_TYPE_REQUIRED,
    race_errors.EventTypeInvalid: Code.EVENT_TYPE_INVALID,
    race_errors.DistanceInvalid: Code.DISTANCE_INVALID,
    race_errors.AgeBaseDateInvalid: Code.AGE_BASE_DATE_INVALID,
    race_errors.PastEventsNotAllowed: Code.PAST_EVENTS_NOT_ALLOWED,
    race_errors.RenewalNotAllowed: Code.RENEWAL_NOT_ALLOWED,
    race_errors.EditionNotOfRace: Code.INVALID_ID,
    race_errors.EventHasParticipants: Code.EVENT_HAS_PARTICIPANTS,
}

# Domain errors that end a request on their own (not details of a refused document).
ERROR_CODES: dict[type[DomainError], Code] = {
    race_errors.RaceNotFound: Code.RACE_NOT_FOUND,
    race_errors.NotRaceOwner: Code.PERMISSION_DENIED,
    race_errors.NotRaceReader: Code.PERMISSION_DENIED,
    participant_errors.EventNotOfRace: Code.EVENT_NOT_FOUND,
}

# A refused item of a participant POST (the domain's field and reason) -> its detail code.
RUNNER_PROBLEM_CODES: dict[tuple[str, Reason], Code] = {
    ("participant_id", "not_found"): Code.REGISTRATION_NOT_FOUND,
    ("unique_id", "listed_twice"): Code.REGISTRATION_LISTED_TWICE,
    ("first_name", "required"): Code.FIRST_NAME_REQUIRED,
    ("last_name", "required"): Code.LAST_NAME_REQUIRED,
    ("start_number", "taken"): Code.BIB_TAKEN,
    ("chip_code", "taken"): Code.CHIP_TAKEN,
    ("event_id", "unknown_event"): Code.EVENT_NOT_FOUND,
    ("event_id", "required"): Code.EVENT_NOT_FOUND,
}

# HTTP failures on /rest paths (before a route answered), as codes; any other status is 3.
HTTP_STATUS_CODES: dict[int, Code] = {
    404: Code.UNKNOWN_METHOD,
    405: Code.HTTP_METHOD_NOT_SUPPORTED,
    500: Code.UNKNOWN_ERROR,
    503: Code.UNAVAILABLE,  # the database is unavailable: the one error sent as HTTP 503
}


@dataclass(frozen=True)
class Detail:
    """One problem of a refused request; `index` is the position of the item it concerns
    (0-based) when the request carries a list."""

    code: Code
    index: int | None = None


class ApiError(Exception):
    """An error answered in the RunSignup envelope (with HTTP 200)."""

    def __init__(self, code: Code, details: Sequence[Code | Detail] = ()) -> None:
        super().__init__(f"{int(code)} {MESSAGES[code]}")
        self.code = code
        self.details = list(details)
        self.headers: dict[str, str] = {}


class Throttled(ApiError):
    """Error 14, answered with a `Retry-After` header."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(Code.THROTTLED)
        self.headers = {"Retry-After": str(max(retry_after_seconds, 1))}


def envelope(code: Code, details: Sequence[Code | Detail] = ()) -> dict[str, object]:
    body: dict[str, object] = {"error_code": int(code), "error_msg": MESSAGES[code]}
    if details:
        body["error_details"] = [_detail(detail) for detail in details]
    return {"error": body}


def _detail(detail: Code | Detail) -> dict[str, object]:
    if isinstance(detail, Code):
        return {"error_code": int(detail), "error_msg": MESSAGES[detail]}
    body: dict[str, object] = {"error_code": int(detail.code), "error_msg": MESSAGES[detail.code]}
    if detail.index is not None:
        body["index"] = detail.index
    return body


def http_error(status_code: int) -> ApiError:
    """404 -> 1, 405 -> 2, 500 -> 4, 503 -> 299, anything else -> 3."""
    return ApiError(HTTP_STATUS_CODES.get(status_code, Code.INVALID_PARAMETERS))


def api_error(exc: DomainError, *, refused: Code | None = None) -> ApiError:
    """The envelope a domain error becomes (an unmapped one is raised again). `refused`
    heads the details of a rejected document: 202 on create, 213 on edit."""
    if isinstance(exc, race_errors.RaceRejected) and refused is not None:
        return ApiError(refused, [PROBLEM_CODES[type(problem)] for problem in exc.problems])
    if isinstance(exc, race_errors.CreateThrottled):
        return Throttled(exc.retry_after_seconds)
    for kind, code in ERROR_CODES.items():
        if isinstance(exc, kind):
            return ApiError(code)
    raise exc

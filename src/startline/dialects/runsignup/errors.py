"""RunSignup error codes and texts (the contract's table) and the domain-error mapping."""

from __future__ import annotations

from collections.abc import Sequence

from startline.domain.races import errors as race_errors

MESSAGES: dict[int, str] = {
    1: "Unknown method",
    2: "HTTP method not supported for this REST method",
    3: "Invalid parameters",
    4: "Unknown error",
    6: "Key authentication failed",
    7: "Permission Denied",
    9: "Invalid date",
    10: "Response format not supported for this REST method",
    11: "Invalid submission",
    13: "You must be logged in to the API as a user",
    14: "Request throttled.",
    15: "Invalid ID.",
    101: "User not found",
    102: "Email or password invalid",
    103: "Account has been temporarily locked due to excessive failed login attempts.",
    109: "Street address cannot be more than 512 characters",
    110: "City cannot be more than 128 characters",
    111: "State is invalid",
    112: "Country is invalid",
    113: "Zip code is invalid",
    123: "City contains invalid characters.",
    151: "Failed to create temporary credentials.",
    201: "Race not found.",
    202: "Failed to create race.",
    203: "Race name is required.",
    204: "Race name is invalid.",
    205: "Race address is not valid.",
    213: "Failed to edit race.",
    214: "Timezone is invalid.",
    215: "Race URL is invalid.",
    216: "Race URL is already in use. Please use a different URL.",
    217: "You must have at least one event.",
    218: "Event name is invalid.",
    219: "Event start time is required.",
    220: "Event start time is not valid.",
    221: "Race partner id not valid.",
    222: 'Draft race flag not valid ("T" or "F" expected).',
    223: "Event id not valid.",
    224: "Race renewal is not allowed.",
    225: "Event type is required.",
    226: "Contact email address is invalid.",
    227: 'Past event creation requires the "allow_past_event_creation" flag',
    228: "Event type is invalid.",
    229: "Partner token is invalid.",
    290: "Protected API signature is invalid.",
    291: "Protected API signature has expired.",
    292: "Protected API signature was already used.",
    293: "Event has participants and cannot be deleted.",
    294: "Timer not valid.",
    295: "Event end time is not valid.",
    296: "Event distance is not valid.",
    297: "Age calculation base date is not valid.",
}

# One wire code per domain problem type.
PROBLEM_CODES: dict[type[race_errors.RaceProblem], int] = {
    race_errors.NameRequired: 203,
    race_errors.NameInvalid: 204,
    race_errors.UrlStringInvalid: 215,
    race_errors.UrlStringTaken: 216,
    race_errors.DraftFlagInvalid: 222,
    race_errors.AddressMissing: 205,
    race_errors.StreetTooLong: 109,
    race_errors.CityTooLong: 110,
    race_errors.CityInvalid: 123,
    race_errors.StateInvalid: 111,
    race_errors.CountryInvalid: 112,
    race_errors.ZipcodeInvalid: 113,
    race_errors.ContactEmailInvalid: 226,
    race_errors.TimezoneInvalid: 214,
    race_errors.PartnerIdInvalid: 221,
    race_errors.PartnerTokenInvalid: 229,
    race_errors.TimerInvalid: 294,
    race_errors.EventsRequired: 217,
    race_errors.EventIdInvalid: 223,
    race_errors.EventNameInvalid: 218,
    race_errors.StartTimeRequired: 219,
    race_errors.StartTimeInvalid: 220,
    race_errors.EndTimeInvalid: 295,
    race_errors.EventTypeRequired: 225,
    race_errors.EventTypeInvalid: 228,
    race_errors.DistanceInvalid: 296,
    race_errors.AgeBaseDateInvalid: 297,
    race_errors.PastEventsNotAllowed: 227,
    race_errors.RenewalNotAllowed: 224,
    race_errors.EditionNotOfRace: 15,
    race_errors.EventHasParticipants: 293,
}

CREATE_FAILED = 202
EDIT_FAILED = 213


class ApiError(Exception):
    """An error answered in the RunSignup envelope (with HTTP 200)."""

    def __init__(self, code: int, details: Sequence[int] = ()) -> None:
        super().__init__(f"{code} {MESSAGES[code]}")
        self.code = code
        self.details = list(details)


def envelope(code: int, details: Sequence[int] = ()) -> dict[str, object]:
    body: dict[str, object] = {"error_code": code, "error_msg": MESSAGES[code]}
    if details:
        body["error_details"] = [
            {"error_code": detail, "error_msg": MESSAGES[detail]} for detail in details
        ]
    return {"error": body}


def rejected(code: int, problems: Sequence[race_errors.RaceProblem]) -> ApiError:
    return ApiError(code, [PROBLEM_CODES[type(problem)] for problem in problems])

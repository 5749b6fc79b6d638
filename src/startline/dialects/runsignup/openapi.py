"""OpenAPI descriptions of the dialect's real inputs: query parameters and form bodies that
the handlers read themselves (FastAPI cannot infer them)."""

from __future__ import annotations

from typing import Any

from startline.dialects.runsignup.respond import DEFAULT_FORMAT, FORMATS

_FORMATS: list[str] = list(FORMATS)


def _query(name: str, description: str, enum: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if enum:
        schema["enum"] = enum
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


FORMAT = _query("format", f"Response format (default {DEFAULT_FORMAT}).", _FORMATS)
CREDENTIALS = [
    _query("api_key", "Permanent API key."),
    _query("api_secret", "Permanent API secret."),
    _query("rsu_api_key", "Permanent API key; its secret goes in X-RSU-API-SECRET."),
    _query("tmp_key", "Temporary key from /rest/login."),
    _query("tmp_secret", "Temporary secret from /rest/login."),
    {
        "name": "X-RSU-API-SECRET",
        "in": "header",
        "required": False,
        "description": "Secret for rsu_api_key.",
        "schema": {"type": "string"},
    },
]
_NULLABLE_STRING = {"type": ["string", "null"]}
_NULLABLE_ID = {"type": ["integer", "null"]}
_PROBLEM: dict[str, Any] = {
    "type": "object",
    "required": ["error_code", "error_msg"],
    "properties": {"error_code": {"type": "integer"}, "error_msg": {"type": "string"}},
}
ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["error_code", "error_msg"],
            "properties": {
                **_PROBLEM["properties"],
                "error_details": {"type": "array", "items": _PROBLEM},
            },
        }
    },
}
_EVENT = {
    "type": "object",
    "required": ["event_id", "race_event_days_id", "name", "start_time", "event_type"],
    "properties": {
        "event_id": {"type": "integer"},
        "race_event_days_id": {"type": "integer"},
        "name": {"type": "string"},
        "start_time": {"type": "string", "example": "6/7/2014 08:30"},
        "end_time": _NULLABLE_STRING,
        "event_type": {"type": "string"},
        "distance": _NULLABLE_STRING,
        "age_calc_base_date": _NULLABLE_STRING,
    },
}
_RACE_OBJECT = {
    "type": "object",
    "required": ["race_id", "name", "url_string", "is_draft_race", "address"],
    "properties": {
        "race_id": {"type": "integer"},
        "name": {"type": "string"},
        "url_string": {"type": "string"},
        "last_date": _NULLABLE_STRING,
        "last_end_date": _NULLABLE_STRING,
        "next_date": _NULLABLE_STRING,
        "next_end_date": _NULLABLE_STRING,
        "is_draft_race": {"type": "string", "enum": ["T", "F"]},
        "created": {"type": "string"},
        "last_modified": {"type": "string"},
        "url": {"type": "string"},
        "address": {
            "type": "object",
            "properties": {
                name: _NULLABLE_STRING
                for name in ("street", "city", "state", "zipcode", "country_code")
            },
        },
        "timezone": _NULLABLE_STRING,
        "partner_id": _NULLABLE_ID,
        "timer_id": _NULLABLE_ID,
        "contact_email": _NULLABLE_STRING,
        "events": {"type": "array", "items": _EVENT},
    },
}
RACE = {"type": "object", "required": ["race"], "properties": {"race": _RACE_OBJECT}}
RACES = {
    "type": "object",
    "required": ["races"],
    "properties": {"races": {"type": "array", "items": RACE}},
}
LOGIN_RESULT = {
    "type": "object",
    "required": ["tmp_key", "tmp_secret", "user"],
    "properties": {
        "tmp_key": {"type": "string"},
        "tmp_secret": {"type": "string"},
        "user": {
            "type": "object",
            "properties": {
                "user_id": {"type": "integer"},
                "first_name": _NULLABLE_STRING,
                "last_name": _NULLABLE_STRING,
                "email": {"type": "string"},
            },
        },
    },
}
LOGOUT_RESULT = {
    "type": "object",
    "required": ["success"],
    "properties": {"success": {"type": "string", "enum": ["T"]}},
}


def _xml_root(*names: str) -> dict[str, Any]:
    """An XML answer read as `{root tag: content}`: one of the given roots."""
    return {
        "type": "object",
        "minProperties": 1,
        "maxProperties": 1,
        "propertyNames": {"enum": list(names)},
    }


def _responses(success: dict[str, Any], *xml_roots: str) -> dict[str, Any]:
    """HTTP 200 carries the result or the error envelope; 413 the envelope alone."""
    return {
        "200": {
            "description": "The result, or an error envelope (errors are HTTP 200).",
            "content": {
                "application/json": {"schema": {"anyOf": [success, ERROR]}},
                "application/xml": {"schema": _xml_root(*xml_roots, "error")},
            },
        },
        "413": {
            "description": "Body over the size limit (error 11, before the body is read whole).",
            "content": {
                "application/json": {"schema": ERROR},
                "application/xml": {"schema": _xml_root("error")},
            },
        },
    }


def _form(
    properties: dict[str, Any],
    required: list[str] | None = None,
    documents: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Form bodies (multipart, urlencoded), plus bare documents by media type."""
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return {
        "required": False,
        "content": {
            "multipart/form-data": {"schema": schema},
            "application/x-www-form-urlencoded": {"schema": schema},
            **{media: {"schema": document} for media, document in (documents or {}).items()},
        },
    }


_ADDRESS = {
    "type": "object",
    "properties": {
        "street": {"type": "string", "maxLength": 512},
        "city": {"type": "string", "maxLength": 128},
        "state": {"type": "string", "example": "NJ"},
        "country_code": {"type": "string", "example": "US"},
        "zipcode": {"type": "string", "example": "08057"},
    },
}
_EVENT_IN = {
    "type": "object",
    "properties": {
        "event_id": {"type": ["integer", "string"]},
        "name": {"type": "string", "maxLength": 128},
        "start_time": {"type": "string", "example": "2030-06-07 08:30:00"},
        "end_time": {"type": "string", "example": "2030-06-07 12:00:00"},
        "event_type": {"type": "string", "example": "running_race"},
        "distance": {"type": ["number", "string"], "example": 8},
        "distance_units": {"type": "string", "enum": ["K", "M"]},
        "age_calc_base_date": {"type": "string", "example": "2030-06-07"},
    },
}
RACE_DOCUMENT: dict[str, Any] = {
    "type": "object",
    "description": "The race document (a bare JSON or XML body is the `request` itself).",
    "properties": {
        "name": {"type": "string", "maxLength": 128},
        "url_string": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,100}$"},
        "draft_race": {"type": "string", "enum": ["T", "F"]},
        "address": _ADDRESS,
        "contact_email": {"type": "string", "format": "email"},
        "timezone": {"type": "string", "example": "America/New_York"},
        "partner_id": {"type": ["integer", "string"]},
        "partner_token": {"type": "string"},
        "timer_id": {"type": ["integer", "string"]},
        "race_event_days_id": {"type": ["integer", "string"]},
        "events": {"type": "array", "items": _EVENT_IN, "xml": {"wrapped": True}},
    },
}
_RACE_XML_DOCUMENT = {
    **RACE_DOCUMENT,
    "xml": {"name": "request"},
    "properties": {
        **RACE_DOCUMENT["properties"],
        "events": {
            "type": "array",
            "items": {**_EVENT_IN, "xml": {"name": "event"}},
            "xml": {"wrapped": True},
        },
    },
}


_RACE_FIELDS = {
    "request": {"type": "string", "description": "The race document, in request_format."},
    "request_format": {"type": "string", "enum": _FORMATS},
    "race_id": {"type": "string", "description": "Race to edit (absent: create)."},
    "preserve_missing_events": {"type": "string", "enum": ["T", "F"]},
    "allow_past_event_creation": {"type": "string", "enum": ["T", "F"]},
    "race_event_days_id": {"type": "string"},
    "format": {"type": "string", "enum": _FORMATS},
}

RACE_POST = {
    "parameters": [
        FORMAT,
        *CREDENTIALS,
        _query("protected_api_signature", "<ID>.<unix_ts>.<nonce>.<hmac-sha1>"),
        _query("race_id", "Race to edit (absent: create)."),
        _query("preserve_missing_events", "T keeps events not sent.", ["T", "F"]),
        _query("allow_past_event_creation", "T allows events in the past.", ["T", "F"]),
        _query("race_event_days_id", "Edition to edit."),
        _query("request_format", "Format of `request`.", _FORMATS),
    ],
    "requestBody": _form(
        _RACE_FIELDS,
        documents={
            "application/json": RACE_DOCUMENT,
            "application/xml": _RACE_XML_DOCUMENT,
            "text/xml": _RACE_XML_DOCUMENT,
        },
    ),
    "responses": _responses(RACE, "race"),
}

RACE_GET = {
    "parameters": [
        FORMAT,
        *CREDENTIALS,
        _query("future_events_only", "T keeps events that have not finished.", ["T", "F"]),
    ],
    "responses": _responses(RACE, "race"),
}

RACE_GET_BY_QUERY = {
    "parameters": [*RACE_GET["parameters"], _query("race_id", "The race.")],
    "responses": _responses(RACE, "race"),
}

RACES_GET = {
    "parameters": [
        FORMAT,
        *CREDENTIALS,
        _query("page", "Page number, from 1."),
        _query("results_per_page", "Races per page (default 50, max 1000)."),
        _query("name", "Part of the race name."),
        _query("state", "State code."),
        _query("country_code", "ISO country code."),
        _query("start_date", "Races with an event on or after this date (YYYY-MM-DD)."),
        _query("end_date", "Races with an event on or before this date (YYYY-MM-DD)."),
        _query("events", "T includes each race's current events.", ["T", "F"]),
    ],
    "responses": _responses(RACES, "races"),
}

LOGIN = {
    "parameters": [FORMAT],
    "requestBody": _form(
        {
            "email": {"type": "string"},
            "password": {"type": "string"},
            "format": {"type": "string", "enum": _FORMATS},
        }
    ),
    "responses": _responses(LOGIN_RESULT, "login"),
}

LOGOUT = {
    "parameters": [
        FORMAT,
        _query("tmp_key", "Temporary key."),
        _query("tmp_secret", "Temporary secret."),
    ],
    "requestBody": _form(
        {
            "tmp_key": {"type": "string"},
            "tmp_secret": {"type": "string"},
            "format": {"type": "string", "enum": _FORMATS},
        }
    ),
    "responses": _responses(LOGOUT_RESULT, "response"),
}


# --- participants -------------------------------------------------------------------------

_NULLABLE_INTEGER = {"type": ["integer", "null"]}
_NO_MONEY = {"type": "string", "example": "$0.00"}
_PARTICIPANT_OUT = {
    "type": "object",
    "required": ["registration_id", "event_id", "bib_num", "chip_num", "last_modified", "user"],
    "properties": {
        "registration_id": {"type": "integer"},
        "event_id": {"type": "integer"},
        "rsu_transaction_id": _NULLABLE_INTEGER,
        "transaction_id": _NULLABLE_STRING,
        "bib_num": {
            "type": ["integer", "string", "null"],
            "description": "A number when the bib is a plain decimal integer, else text.",
        },
        "chip_num": _NULLABLE_STRING,
        "age": _NULLABLE_INTEGER,
        "registration_date": {"type": "string", "example": "9/7/2030 15:15"},
        "team_id": _NULLABLE_INTEGER,
        "team_name": _NULLABLE_STRING,
        "team_type_id": _NULLABLE_INTEGER,
        "team_type": _NULLABLE_STRING,
        "team_gender": _NULLABLE_STRING,
        "team_bib_num": _NULLABLE_STRING,
        "last_modified": {"type": "integer", "description": "Unix seconds of the last change."},
        "imported": {"type": "string", "enum": ["T", "F"]},
        **{
            name: _NO_MONEY
            for name in (
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
        },
        "user": {
            "type": "object",
            "properties": {
                "user_id": {"type": "integer"},
                "first_name": {"type": "string"},
                "middle_name": _NULLABLE_STRING,
                "last_name": {"type": "string"},
                "email": _NULLABLE_STRING,
                "address": {
                    "type": "object",
                    "properties": {
                        name: _NULLABLE_STRING
                        for name in ("street", "city", "state", "zipcode", "country_code")
                    },
                },
                "dob": _NULLABLE_STRING,
                "gender": {"type": ["string", "null"], "enum": ["M", "F", "X", None]},
                "phone": _NULLABLE_STRING,
                "profile_image_url": _NULLABLE_STRING,
            },
        },
        "question_responses": {"type": "array", "maxItems": 0},
        "participant_addons": {"type": "array", "maxItems": 0},
    },
}
START_LIST = {
    "type": "array",
    "description": "One element per requested event, in the order requested.",
    "items": {
        "type": "object",
        "required": ["event", "participants"],
        "properties": {
            "event": {
                "type": "object",
                "required": ["event_id", "participants"],
                "properties": {
                    "event_id": {"type": "integer"},
                    "participants": {"type": "array", "maxItems": 0},
                },
            },
            "participants": {"type": "array", "items": _PARTICIPANT_OUT},
        },
    },
}
SAVED_PARTICIPANTS = {
    "type": "object",
    "required": ["participants"],
    "properties": {
        "participants": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["registration_id"],
                "properties": {"registration_id": {"type": "integer"}},
            },
        }
    },
}
_EVENT_ID = {
    "name": "event_id",
    "in": "query",
    "required": True,
    "description": "An event of the race (any edition); for GET also a comma list of up to 100.",
    "schema": {"type": "string", "example": "1"},
}

PARTICIPANTS_GET = {
    "parameters": [
        FORMAT,
        *CREDENTIALS,
        _EVENT_ID,
        _query("page", "Page number, from 1."),
        _query("results_per_page", "Runners per page (default 50, larger than 2500 clamped)."),
        _query(
            "sort",
            "Comma list of `field [ASC|DESC]`: registration_id, registration_date, age, name, "
            "first_name, last_name, bib_num, chip_num, gender (default registration_id ASC).",
        ),
        _query("after_registration_id", "Only registration ids greater than this."),
        _query("before_registration_id", "Only registration ids less than this."),
        _query("modified_after_timestamp", "Only runners changed on or after (Unix seconds)."),
        _query("registered_after_timestamp", "Only runners added on or after (Unix seconds)."),
        _query("registered_before_timestamp", "Only runners added before (Unix seconds)."),
        _query("search_first_name", "Part of the first name (case-insensitive)."),
        _query("search_last_name", "Part of the last name (case-insensitive)."),
        _query("search_email", "Part of the e-mail (startline keeps none: finds nobody)."),
        _query("search_bib", "The bib number, exactly."),
        _query("supports_nb", "T shows a neutral gender as X (else null).", ["T", "F"]),
        _query("include_questions", "T adds an empty question_responses list.", ["T", "F"]),
        _query(
            "include_registration_addons", "T adds an empty participant_addons list.", ["T", "F"]
        ),
    ],
    "responses": _responses(START_LIST, "events"),
}

_PARTICIPANT_IN = {
    "type": "object",
    "properties": {
        "registration_id": {
            "type": ["integer", "string"],
            "description": "Edit this registration (absent: add a runner).",
        },
        "bib_num": {"type": ["integer", "string", "null"], "example": 45},
        "chip_num": {"type": ["string", "null"], "example": "0000045"},
        "gender": {"type": "string", "enum": ["M", "F", "X"]},
        "user": {
            "type": "object",
            "description": "Read when adding a runner; ignored on edits.",
            "properties": {
                "first_name": {"type": "string", "maxLength": 100},
                "last_name": {"type": "string", "maxLength": 100},
                "dob": {"type": "string", "example": "1986-01-06"},
                "gender": {"type": "string", "enum": ["M", "F", "X"]},
                "address": {
                    "type": "object",
                    "properties": {"country_code": {"type": "string", "example": "NL"}},
                },
            },
        },
    },
}
PARTICIPANTS_DOCUMENT: dict[str, Any] = {
    "type": "object",
    "description": "The participants document (a bare JSON or XML body is the `request`).",
    "required": ["participants"],
    "properties": {"participants": {"type": "array", "items": _PARTICIPANT_IN}},
}
_PARTICIPANTS_XML_DOCUMENT = {
    **PARTICIPANTS_DOCUMENT,
    "xml": {"name": "request"},
    "properties": {
        "participants": {
            "type": "array",
            "items": {**_PARTICIPANT_IN, "xml": {"name": "participant"}},
            "xml": {"wrapped": True},
        }
    },
}

PARTICIPANTS_POST = {
    "parameters": [
        FORMAT,
        *CREDENTIALS,
        _EVENT_ID,
        _query("request_format", "Format of `request`.", _FORMATS),
    ],
    "requestBody": _form(
        {
            "event_id": {"type": "string"},
            "request": {"type": "string", "description": "The participants document."},
            "request_format": {"type": "string", "enum": _FORMATS},
            "restrict_potential_dup": {"type": "string", "enum": ["T", "F"]},
            "clear_null_corrals": {"type": "string", "enum": ["T", "F"]},
            "format": {"type": "string", "enum": _FORMATS},
        },
        documents={
            "application/json": PARTICIPANTS_DOCUMENT,
            "application/xml": _PARTICIPANTS_XML_DOCUMENT,
            "text/xml": _PARTICIPANTS_XML_DOCUMENT,
        },
    ),
    "responses": _responses(SAVED_PARTICIPANTS, "participants"),
}

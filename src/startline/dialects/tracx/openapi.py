"""OpenAPI descriptions of the Tracx request bodies and answers (the routes read raw bodies,
so FastAPI cannot infer them)."""

from __future__ import annotations

from typing import Any

from startline.dialects.tracx.validation import GENDERS, STATES

PARTICIPANT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "unique_id",
        "first_name",
        "last_name",
        "date_of_birth",
        "start_number",
        "chip_code",
        "race_id",
    ],
    "properties": {
        "unique_id": {"type": "string", "maxLength": 100, "example": "1"},
        "first_name": {"type": "string", "maxLength": 100, "example": "Kris"},
        "last_name": {"type": "string", "maxLength": 100, "example": "Kuiper"},
        "country_code": {"type": ["string", "null"], "example": "nl"},
        "team_name": {"type": ["string", "null"], "maxLength": 100},
        "date_of_birth": {"type": "string", "format": "date", "example": "2001-01-01"},
        "start_number": {"type": ["string", "integer"], "maxLength": 100, "example": "1"},
        "chip_code": {"type": "string", "minLength": 7, "maxLength": 7, "example": "0000001"},
        "gender": {"type": ["string", "null"], "enum": [*GENDERS, None]},
        "state": {
            "type": ["string", "null"],
            "enum": [*STATES, None],
        },
        "race_id": {"type": "integer", "example": 1},
    },
}

_MESSAGE = {"type": "object", "properties": {"message": {"type": "string"}}}
_VALIDATION = {
    "type": "object",
    "properties": {
        "message": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_TIMESTAMP = {"type": "string", "example": "2025-02-25 09:45:32"}
_NULLABLE_STRING = {"type": ["string", "null"]}
_SESSION = {
    "type": "object",
    "properties": {
        "data": {
            "type": "object",
            "properties": {"token": {"type": "string"}, "expires_at": {"type": "integer"}},
        }
    },
}


def _items(properties: dict[str, Any]) -> dict[str, Any]:
    item = {"type": "object", "properties": properties}
    return {
        "type": "object",
        "properties": {
            "data": {
                "type": "object",
                "properties": {"items": {"type": "array", "items": item}},
            }
        },
    }


_EVENTS = _items(
    {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "created_at": _TIMESTAMP,
        "updated_at": _TIMESTAMP,
        "date_from": _NULLABLE_STRING,
        "date_to": _NULLABLE_STRING,
    }
)
_RACES = _items(
    {
        "id": {"type": "integer"},
        "event_id": {"type": "integer"},
        "name": {"type": "string"},
        "created_at": _TIMESTAMP,
        "updated_at": _TIMESTAMP,
        "start_time": {"type": "string"},
        "distance": {"type": ["number", "null"]},
    }
)
_PARTICIPANT = {
    "type": "object",
    "properties": {
        "data": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "unique_id": {"type": "string"},
                "start_number": {"type": "string"},
                "chip_code": {"type": "string"},
                "event_id": {"type": "integer"},
                "race_id": {"type": "integer"},
                "first_name": {"type": "string"},
                "last_name": {"type": "string"},
                "full_name": {"type": "string"},
                "country_code": _NULLABLE_STRING,
                "team_name": _NULLABLE_STRING,
                "date_of_birth": {"type": "string"},
                "gender": _NULLABLE_STRING,
                "state": {"type": "string"},
                "created_at": _TIMESTAMP,
                "updated_at": _TIMESTAMP,
            },
        }
    },
}
_COUNTS = {
    "type": "object",
    "properties": {
        "data": {
            "type": "object",
            "properties": {"created": {"type": "integer"}, "updated": {"type": "integer"}},
        }
    },
}

_UNAUTHENTICATED = _json(_MESSAGE, "Missing, malformed, expired or revoked token")
_FORBIDDEN = _json(_MESSAGE, "The token lacks the endpoint's permission")
_THROTTLED = _json(_MESSAGE, "Too many requests for this token")
_INVALID = _json(_VALIDATION, "Validation failed (Laravel's error body)")
_TOO_LARGE = _json(_MESSAGE, "The body is over the size or item limit")

SESSION_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: _json(_SESSION, "A session token and its expiry (unix seconds)"),
    401: _UNAUTHENTICATED,
    429: _THROTTLED,
}
EVENTS_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: _json(_EVENTS, "The events in the token's scope"),
    401: _UNAUTHENTICATED,
    403: _FORBIDDEN,
    429: _THROTTLED,
}
# The route reads its query as Laravel does (dialects/tracx/body.py), so FastAPI cannot infer it.
RACES_QUERY: dict[str, Any] = {
    "parameters": [
        {
            "name": "event_id",
            "in": "query",
            "required": True,
            "description": "A Tracx event id: an integer (whitespace around it is trimmed)",
            "schema": {"type": "integer"},
        }
    ]
}
RACES_RESPONSES: dict[int | str, dict[str, Any]] = {
    **EVENTS_RESPONSES,
    200: _json(_RACES, "The races of the event (empty outside the token's scope)"),
    422: _INVALID,
}
SINGLE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: _json(_PARTICIPANT, "The participant as stored"),
    401: _UNAUTHENTICATED,
    403: _FORBIDDEN,
    413: _TOO_LARGE,
    422: _INVALID,
    429: _THROTTLED,
}
BATCH_RESPONSES: dict[int | str, dict[str, Any]] = {
    **SINGLE_RESPONSES,
    200: _json(_COUNTS, "How many participants were created and updated"),
    404: _json(_MESSAGE, "The event id is not a number"),
}


def request_body(schema: dict[str, Any], **more: dict[str, Any]) -> dict[str, Any]:
    content = {"application/json": {"schema": schema}}
    content.update({media: {"schema": other} for media, other in more.items()})
    return {"requestBody": {"required": True, "content": content}}


# A real form body (`a=b&c=d`) is read as Laravel reads $_POST: every value a string.
PARTICIPANT_FORM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": PARTICIPANT_SCHEMA["required"],
    "properties": {
        name: {"type": "string", **{k: v for k, v in field.items() if k.endswith("Length")}}
        for name, field in PARTICIPANT_SCHEMA["properties"].items()
    },
}

SINGLE_BODY = request_body(
    PARTICIPANT_SCHEMA, **{"application/x-www-form-urlencoded": PARTICIPANT_FORM_SCHEMA}
)
BATCH_BODY = request_body({"type": "array", "items": PARTICIPANT_SCHEMA})

"""OpenAPI descriptions of the Tracx request bodies and answers (the routes read raw bodies,
so FastAPI cannot infer them)."""

from __future__ import annotations

from typing import Any

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
        "gender": {"type": ["string", "null"], "enum": ["male", "female", "neutral", None]},
        "state": {
            "type": ["string", "null"],
            "enum": [
                "before",
                "during",
                "paused",
                "resumed",
                "after",
                "finished",
                "did_not_finish",
                "disqualified",
                "did_not_start",
                None,
            ],
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


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _json(_MESSAGE, "Missing, malformed, expired or revoked token"),
    403: _json(_MESSAGE, "The token lacks the endpoint's permission"),
    429: _json(_MESSAGE, "Too many requests for this token"),
}
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    413: _json(_MESSAGE, "The body is over the size or item limit"),
    422: _json(_VALIDATION, "Validation failed (Laravel's error body)"),
}


def request_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


SINGLE_BODY = request_body(PARTICIPANT_SCHEMA)
BATCH_BODY = request_body({"type": "array", "items": PARTICIPANT_SCHEMA})

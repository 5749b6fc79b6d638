"""OpenAPI descriptions of the dialect's real inputs: query parameters and form bodies that
the handlers read themselves (FastAPI cannot infer them)."""

from __future__ import annotations

from typing import Any


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


FORMAT = _query("format", "Response format (default xml).", ["xml", "json"])
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
_RESPONSES = {
    "200": {
        "description": "The result, or an error envelope (errors are HTTP 200).",
        "content": {
            "application/xml": {"schema": {"type": "object"}},
            "application/json": {"schema": {"type": "object"}},
        },
    },
    "413": {"description": "Body over the size limit (error envelope)."},
}


def _form(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return {
        "required": False,
        "content": {
            "multipart/form-data": {"schema": schema},
            "application/x-www-form-urlencoded": {"schema": schema},
        },
    }


_RACE_FIELDS = {
    "request": {"type": "string", "description": "The race document, in request_format."},
    "request_format": {"type": "string", "enum": ["xml", "json"]},
    "race_id": {"type": "string", "description": "Race to edit (absent: create)."},
    "preserve_missing_events": {"type": "string", "enum": ["T", "F"]},
    "allow_past_event_creation": {"type": "string", "enum": ["T", "F"]},
    "race_event_days_id": {"type": "string"},
    "format": {"type": "string", "enum": ["xml", "json"]},
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
        _query("request_format", "Format of `request`.", ["xml", "json"]),
    ],
    "requestBody": _form(_RACE_FIELDS),
    "responses": _RESPONSES,
}

RACE_GET = {
    "parameters": [
        FORMAT,
        *CREDENTIALS,
        _query("future_events_only", "T keeps events that have not finished.", ["T", "F"]),
    ],
    "responses": _RESPONSES,
}

RACE_GET_BY_QUERY = {
    "parameters": [*RACE_GET["parameters"], _query("race_id", "The race.")],
    "responses": _RESPONSES,
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
    "responses": _RESPONSES,
}

LOGIN = {
    "parameters": [FORMAT],
    "requestBody": _form(
        {
            "email": {"type": "string"},
            "password": {"type": "string"},
            "format": {"type": "string", "enum": ["xml", "json"]},
        }
    ),
    "responses": _RESPONSES,
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
            "format": {"type": "string", "enum": ["xml", "json"]},
        }
    ),
    "responses": _RESPONSES,
}

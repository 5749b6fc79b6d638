"""Responses in the requested format, and the envelope for errors (always HTTP 200 unless
the transport failed first)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from fastapi.responses import Response

from startline.dialects.runsignup.codec import write_json, write_xml
from startline.dialects.runsignup.errors import ApiError, envelope

JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "application/xml; charset=utf-8"
FORMATS = ("xml", "json")


def response_format(params: dict[str, str]) -> str:
    """`format`: xml (default) or json, case-insensitive; anything else is error 10."""
    value = params.get("format", "").strip().lower()
    if value == "":
        return "xml"
    if value not in FORMATS:
        raise ApiError(10)
    return value


def lenient_format(query: str) -> str:
    """The format for answering an error before parameters were read: json or else xml."""
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name == "format":
            return "json" if value.strip().lower() == "json" else "xml"
    return "xml"


def encode(fmt: str, document: dict[str, Any]) -> tuple[bytes, str]:
    if fmt == "json":
        return write_json(document), JSON_TYPE
    return write_xml(document), XML_TYPE


def respond(fmt: str, document: dict[str, Any], status_code: int = 200) -> Response:
    body, media_type = encode(fmt, document)
    return Response(body, status_code=status_code, media_type=media_type)


def error_response(fmt: str, error: ApiError, status_code: int = 200) -> Response:
    return respond(fmt, envelope(error.code, error.details), status_code)

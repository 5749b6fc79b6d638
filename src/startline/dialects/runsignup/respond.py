"""Responses in the requested format, and the envelope for errors (always HTTP 200 unless
the transport failed first)."""

from __future__ import annotations

from typing import Any, Literal, TypeGuard
from urllib.parse import parse_qsl

from fastapi.responses import Response

from startline.dialects.runsignup.codec import write_json, write_xml
from startline.dialects.runsignup.errors import ApiError, Code, envelope

Format = Literal["xml", "json"]
FORMATS: tuple[Format, ...] = ("xml", "json")
DEFAULT_FORMAT: Format = "xml"
JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "application/xml; charset=utf-8"


def is_format(value: str) -> TypeGuard[Format]:
    return value in FORMATS


def response_format(params: dict[str, str]) -> Format:
    """`format`: xml (default) or json, case-insensitive; anything else is error 10."""
    value = params.get("format", "").strip().lower()
    if value == "":
        return DEFAULT_FORMAT
    if not is_format(value):
        raise ApiError(Code.FORMAT_NOT_SUPPORTED)
    return value


def lenient_format(params: dict[str, str], fallback: Format = DEFAULT_FORMAT) -> Format:
    """The format for answering an error even when `format` is unusable: the one asked
    for when it is valid, else `fallback`."""
    value = params.get("format", "").strip().lower()
    return value if is_format(value) else fallback


def query_format(query: str) -> Format:
    """The format for answering an error before parameters were read: json or else xml."""
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name == "format":
            return "json" if value.strip().lower() == "json" else DEFAULT_FORMAT
    return DEFAULT_FORMAT


def encode(fmt: Format, document: Any) -> tuple[bytes, str]:
    if fmt == "json":
        return write_json(document), JSON_TYPE
    return write_xml(document), XML_TYPE


def respond(fmt: Format, document: Any, status_code: int = 200) -> Response:
    body, media_type = encode(fmt, document)
    return Response(body, status_code=status_code, media_type=media_type)


def error_response(fmt: Format, error: ApiError, status_code: int = 200) -> Response:
    response = respond(fmt, envelope(error.code, error.details), status_code)
    response.headers.update(error.headers)
    return response

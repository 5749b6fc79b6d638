"""Parameters merged from the query string and the body, like PHP's $_REQUEST (body wins).

Bodies: multipart/form-data (the official PHP client), application/x-www-form-urlencoded,
and urlencoded bodies whose `request=` value is raw, unescaped JSON (RunSignup's iOS apps).
A bare JSON or XML body is taken as the `request` document itself."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl

from starlette.datastructures import UploadFile
from starlette.requests import Request

from startline.dialects.runsignup.document import flag
from startline.dialects.runsignup.errors import ApiError, Code
from startline.domain.text import has_control_character
from startline.http.body_limit import BodyTooLarge

_RAW_JSON_REQUEST = re.compile(r"(?:^|&)request=(?=[\[{])")
MAX_FIELDS = 1000


def parse_query(query: str) -> dict[str, str]:
    return dict(parse_qsl(query, keep_blank_values=True, max_num_fields=MAX_FIELDS))


def parse_urlencoded(body: str) -> dict[str, str]:
    """Form fields; a `request=` value that is raw JSON is taken whole, `&` and `+` included."""
    match = _RAW_JSON_REQUEST.search(body)
    if match is not None:
        start = match.end()
        try:
            _, end = json.JSONDecoder().raw_decode(body, start)
        except ValueError:
            end = -1
        if end == len(body) or (end > 0 and body[end] == "&"):
            values = dict(parse_qsl(body[: match.start()], keep_blank_values=True))
            values["request"] = body[start:end]
            values.update(parse_qsl(body[end + 1 :], keep_blank_values=True))
            return values
    return dict(parse_qsl(body, keep_blank_values=True, max_num_fields=MAX_FIELDS))


async def read_params(request: Request) -> dict[str, str]:
    """Query and body parameters together; the body wins when a name is in both."""
    try:
        params = parse_query(request.url.query)
    except ValueError as exc:
        raise ApiError(Code.INVALID_PARAMETERS) from exc
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return params
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    try:
        if content_type == "multipart/form-data":
            params.update(await _multipart(request))
        elif content_type == "application/x-www-form-urlencoded":
            body = (await request.body()).decode("utf-8", "replace")
            params.update(parse_urlencoded(body))
        elif content_type in {"application/json", "application/xml", "text/xml"}:
            body = (await request.body()).decode("utf-8", "replace")
            if body.strip():
                params["request"] = body
                params.setdefault("request_format", "json" if "json" in content_type else "xml")
    except (ApiError, BodyTooLarge):
        raise
    except Exception as exc:  # malformed multipart: starlette raises its own HTTP errors
        raise ApiError(Code.INVALID_PARAMETERS) from exc
    return params


async def _multipart(request: Request) -> dict[str, str]:
    values: dict[str, str] = {}
    form = await request.form(max_files=10, max_fields=MAX_FIELDS)
    try:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                values[name] = (await value.read()).decode("utf-8", "replace")
            else:
                values[name] = value
    finally:
        await form.close()
    return values


# --- single parameters (error 3 when malformed) ----------------------------------------------


def flag_param(params: dict[str, str], name: str) -> bool:
    """A T/F flag, off when absent."""
    try:
        return bool(flag(params.get(name)))
    except ValueError as exc:
        raise ApiError(Code.INVALID_PARAMETERS) from exc


def positive_int_param(params: dict[str, str], name: str, default: int) -> int:
    """A page number or size: 1 to 9 digits, at least 1; `default` when absent or blank."""
    raw = params.get(name, "").strip()
    if raw == "":
        return default
    if not raw.isdigit() or not raw.isascii() or len(raw) > 9 or int(raw) < 1:
        raise ApiError(Code.INVALID_PARAMETERS)
    return int(raw)


def text_param(params: dict[str, str], name: str) -> str | None:
    """A trimmed text filter without control characters; None when absent or blank."""
    raw = params.get(name, "").strip()
    if raw and has_control_character(raw):
        raise ApiError(Code.INVALID_PARAMETERS)
    return raw or None

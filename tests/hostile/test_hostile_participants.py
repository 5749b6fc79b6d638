"""Hostile input against RunSignup's participant calls: huge pages, negative or enormous ids,
10,000-item event lists, malformed sorts, hostile documents and items. Every answer is the
RunSignup envelope (or a page), never a 500, never error 4, and a refused POST changes
nothing."""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.hostile import payloads as p
from tests.hostile.conftest import World

SECONDS = 30.0  # answered within this, or it counts as a hang (generous: a shared 2-core box)


def _path(world: World) -> str:
    return f"/rest/race/{world.race.race_id}/participants"


def _get(world: World, **params: str) -> Any:
    """The answer as JSON (or the XML error's code, for a format that is not one). Commas
    stay unescaped, as clients send them, so 10,000-item lists fit httpx's URL limit."""
    query = {**world.rsu_query("json", signed=False), "event_id": str(world.race.event_ids[0])}
    query.update(params)
    started = time.monotonic()
    response = world.client.get(f"{_path(world)}?{urlencode(query, safe=',')}")
    assert time.monotonic() - started < SECONDS
    assert response.status_code == 200, response.text[:300]
    if response.headers["content-type"].startswith("application/xml"):
        return {
            "error": {
                "error_code": int(ET.fromstring(response.content).findtext("error_code") or 0)
            }
        }
    return response.json()


def _code(body: Any) -> int | None:
    return body["error"]["error_code"] if isinstance(body, dict) and "error" in body else None


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"page": "999999999", "results_per_page": "999999999"}, None),
        ({"page": "9" * 5000}, 3),
        ({"results_per_page": "-2500"}, 3),
        ({"after_registration_id": "-1"}, 3),
        ({"before_registration_id": "-99999999999999999999"}, 3),
        ({"after_registration_id": "9" * 18}, None),
        ({"after_registration_id": "9" * 5000}, 3),
        ({"modified_after_timestamp": "9" * 18}, None),
        ({"registered_before_timestamp": "-0"}, 3),
        ({"event_id": ",".join(str(i) for i in range(10_000))}, 3),
        ({"event_id": ",".join(["9"] * 10_000)}, 301),
        ({"event_id": "9" * 5000}, 301),
        ({"event_id": "\u0661\u0662"}, 3),  # Arabic-Indic digits are no id
        ({"event_id": p.SQL_INJECTION}, 3),
        ({"sort": "registration_id; DROP TABLE participants"}, 3),
        ({"sort": "a" * 50_000}, 3),
        ({"sort": "," * 10_000}, 3),
        ({"sort": ",".join(["last_name DESC"] * 3_000)}, None),
        ({"sort": "registration_id\x00"}, 3),
        ({"sort": "registration_id ASC\tDESC"}, 3),
        ({"search_last_name": "%" * 10_000}, None),
        ({"search_first_name": p.SQL_INJECTION}, None),
        ({"search_bib": "\x00"}, 3),
        ({"search_email": p.HEADER_INJECTION}, 3),
        ({"supports_nb": "\x00"}, 3),
        ({"format": "csv"}, 10),
    ],
)
def test_hostile_parameters_get_an_answer_not_a_500(world: World, params, code):
    body = _get(world, **params)
    assert _code(body) == code, str(body)[:300]
    if code is None:
        assert isinstance(body, list)


def _post(world: World, document: str | bytes, request_format: str = "json") -> Any:
    fields = {
        "event_id": str(world.race.event_ids[0]),
        "request_format": request_format,
        "request": document,
    }
    started = time.monotonic()
    response = world.client.post(
        _path(world),
        params=world.rsu_query("json", signed=False),
        files={name: (None, value) for name, value in fields.items()},
    )
    assert time.monotonic() - started < SECONDS
    assert response.status_code == 200, response.text[:300]
    return response.json()


def _items(*items: Any) -> str:
    return json.dumps({"participants": list(items)})


@pytest.mark.parametrize(
    ("document", "request_format", "codes"),
    [
        (p.BILLION_LAUGHS, "xml", {11}),
        (p.EXTERNAL_ENTITY, "xml", {11}),
        (p.DEEP_XML, "xml", {11}),
        (p.DEEP_JSON_OBJECTS, "json", {11}),
        (p.DEEP_JSON_ARRAYS, "json", {11}),
        (p.INVALID_UTF8, "json", {11}),
        ('{"participants": "' + "x" * 100_000 + '"}', "json", {11}),
        ('{"participants": [' + p.HUGE_INTEGER + "]}", "json", {11, 298}),
        (_items({"registration_id": 2**70}), "json", {298}),
        (_items({"registration_id": -1, "bib_num": -1}), "json", {298}),
        (_items({"registration_id": {"$gt": 0}}), "json", {298}),
        (_items({"registration_id": [1, 2]}), "json", {298}),
        (_items({"registration_id": True}), "json", {298}),
        (_items({"bib_num": {"a": 1}, "chip_num": [1], "user": "nobody"}), "json", {298}),
        (_items({"user": {"first_name": ["x"], "last_name": {"y": 1}}}), "json", {298}),
        (_items({"user": {"first_name": "A", "last_name": "B", "dob": 19860106}}), "json", {298}),
        (_items({"user": {"first_name": "A", "last_name": "B", "gender": ["M"]}}), "json", {298}),
        (
            _items({"user": {"first_name": "A", "last_name": "B", "address": "NL"}}),
            "json",
            {None},
        ),
        (_items({"user": {"first_name": p.HEADER_INJECTION, "last_name": "B"}}), "json", {298}),
        (_items({"user": {"first_name": "\x00", "last_name": "B"}}), "json", {298}),
        (_items({"bib_num": p.SQL_INJECTION}), "json", {298}),
        (_items({"bib_num": 1e308, "chip_num": 1e20}), "json", {298}),
        (_items(*[{"registration_id": 1}] * 5000), "json", {298}),
    ],
)
def test_hostile_documents_change_nothing(world: World, document, request_format, codes):
    before = world.snapshot()
    body = _post(world, document, request_format)
    assert _code(body) in codes, str(body)[:300]
    if _code(body) is not None:
        world.assert_unchanged(before)
        assert all(d["error_code"] != 4 for d in body["error"].get("error_details", [])), str(body)[
            :300
        ]

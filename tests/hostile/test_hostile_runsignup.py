"""Hostile input against the RunSignup race API: every request gets the RunSignup error
envelope (HTTP 200, or 413 for a body over the limit), never a 500 or a hang, and the
database is exactly as it was (see snapshot.py for the tables left out and why)."""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.hostile import payloads as p
from tests.hostile.conftest import PASSWORD, World
from tests.hostile.rawhttp import post_streaming, stall
from tests.support.server import running_server

SECONDS = 30.0  # answered within this, or it counts as a hang (generous: a shared 2-core box)
MALFORMED = {11}  # Invalid submission: the document could not be read
REJECTED = {202, 213}  # Failed to create / edit race, with details


@dataclass(frozen=True)
class Doc:
    """A `request` document and the error codes it may get."""

    name: str
    text: str | bytes
    request_format: str
    codes: frozenset[int]


def _race(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": "Race",
        "url_string": "NewRace",
        "address": {"city": "Moorestown", "state": "NJ", "country_code": "US"},
        "events": [{"name": "8K", "start_time": "2031-06-07 08:30", "event_type": "running_race"}],
    }
    doc.update(overrides)
    return doc


def _event(**overrides: Any) -> dict[str, Any]:
    return {**_race()["events"][0], **overrides}


def _address(**overrides: Any) -> dict[str, Any]:
    return {**_race()["address"], **overrides}


def _j(name: str, doc: Any, codes: set[int] = REJECTED) -> Doc:
    return Doc(name, json.dumps(doc), "json", frozenset(codes))


def _every_field(value: Any) -> dict[str, Any]:
    fields = [
        "name",
        "url_string",
        "draft_race",
        "contact_email",
        "timezone",
        "partner_id",
        "partner_token",
        "timer_id",
    ]
    event = {
        name: value
        for name in [
            "event_id",
            "name",
            "start_time",
            "end_time",
            "event_type",
            "distance",
            "distance_units",
            "age_calc_base_date",
        ]
    }
    address = {name: value for name in ["street", "city", "state", "country_code", "zipcode"]}
    return {**{name: value for name in fields}, "address": address, "events": [event]}


DOCS = [
    Doc("billion laughs", p.BILLION_LAUGHS, "xml", frozenset(MALFORMED)),
    Doc("quadratic blow-up", p.QUADRATIC_BLOWUP, "xml", frozenset(MALFORMED)),
    Doc("external entity", p.EXTERNAL_ENTITY, "xml", frozenset(MALFORMED)),
    Doc("external parameter entity", p.EXTERNAL_PARAMETER_ENTITY, "xml", frozenset(MALFORMED)),
    Doc("external DTD", p.EXTERNAL_DTD, "xml", frozenset(MALFORMED)),
    Doc("internal DTD", p.INTERNAL_DTD, "xml", frozenset(MALFORMED)),
    Doc("XInclude", p.XINCLUDE, "xml", frozenset(REJECTED)),
    Doc("malformed XML", p.MALFORMED_XML, "xml", frozenset(MALFORMED)),
    Doc("10^5 nested XML", p.DEEP_XML, "xml", frozenset(MALFORMED)),
    Doc("30,000 XML elements", "<r>" + "<a>1</a>" * 30_000 + "</r>", "xml", frozenset(MALFORMED)),
    Doc("XML NUL character reference", "<r><name>&#0;</name></r>", "xml", frozenset(MALFORMED)),
    Doc(
        "XML invalid UTF-8",
        b"<r><name>" + p.INVALID_UTF8 + b"</name></r>",
        "xml",
        frozenset(REJECTED | MALFORMED),
    ),
    Doc(
        "XML declared UTF-16",
        '<?xml version="1.0" encoding="utf-16"?><r><name>a</name></r>',
        "xml",
        frozenset(REJECTED | MALFORMED),
    ),
    Doc(
        "XML attributes only",
        '<r name="x"><events><event name="y"/></events></r>',
        "xml",
        frozenset(REJECTED),
    ),
    Doc("malformed JSON", p.MALFORMED_JSON, "json", frozenset(MALFORMED)),
    Doc("JSON cut short", json.dumps(_race())[:-3], "json", frozenset(MALFORMED)),
    Doc("10^5 nested JSON arrays", p.DEEP_JSON_ARRAYS, "json", frozenset(MALFORMED)),
    Doc("10^5 nested JSON objects", p.DEEP_JSON_OBJECTS, "json", frozenset(MALFORMED)),
    Doc(
        "100,000-digit integer",
        json.dumps(_race()).replace('"8K"', p.HUGE_INTEGER),
        "json",
        frozenset(MALFORMED),
    ),
    _j("1e999 distance", json.loads(json.dumps(_race(events=[_event(distance=1e999)])))),
    Doc(
        "NaN distance",
        json.dumps(_race(events=[_event(distance=float("nan"))])),
        "json",
        frozenset(REJECTED),
    ),
    _j("huge event_id", _race(events=[_event(event_id=2**70)])),
    _j("negative event_id", _race(events=[_event(event_id=-1)])),
    _j("float event_id", _race(events=[_event(event_id=1.5)])),
    _j(
        "year 9999 and year 1",
        _race(
            events=[
                _event(
                    start_time="9999-12-31 23:59",
                    end_time="0001-01-01 00:00",
                    age_calc_base_date="0000-00-00",
                )
            ]
        ),
    ),
    Doc("lone surrogate", json.dumps(_race(name="\ud800")), "json", frozenset(MALFORMED)),
    Doc(
        "lone low surrogate",
        json.dumps(_race()).replace('"Race"', '"R\\udfffce"'),
        "json",
        frozenset(MALFORMED),
    ),
    Doc(
        "lone surrogate in a key",
        json.dumps(_race()).replace('"name"', '"\\ud800"', 1),
        "json",
        frozenset(MALFORMED),
    ),
    Doc(
        "JSON invalid UTF-8",
        json.dumps(_race()).encode().replace(b"Race", p.INVALID_UTF8),
        "json",
        frozenset(REJECTED),
    ),
    _j(
        "NUL bytes",
        _race(
            name="Ra\x00ce", address=_address(city="Moo\x00rest"), events=[_event(name="8\x00K")]
        ),
    ),
    _j("huge strings", _race(name="a" * 200_000, address=_address(street="s" * 200_000))),
    _j(
        "SQL injection",
        _race(
            name=p.SQL_INJECTION, url_string="a' OR 1=1 --", address=_address(city=p.SQL_INJECTION)
        ),
    ),
    _j("header injection", _race(url_string=p.HEADER_INJECTION)),
    _j("every field an array", _every_field([1, 2])),
    _j("every field an object", _every_field({"a": 1})),
    _j("every field true", _every_field(True)),
    _j("every field a float", _every_field(1.5)),
    _j("every field null", _every_field(None)),
    _j("every field an int", _every_field(7)),
    _j("events of junk", _race(events=[1, "x", None, []])),
    _j("address a string", _race(address="300 Mill St.")),
    _j(
        "option flags of the wrong type",
        _race(preserve_missing_events=[1], allow_past_event_creation={}),
        {3} | REJECTED,
    ),
    Doc("top-level array", "[1, 2]", "json", frozenset(MALFORMED)),
    Doc("top-level null", "null", "json", frozenset(MALFORMED)),
    Doc("top-level string", '"race"', "json", frozenset(MALFORMED)),
]


def _error(response: Any, fmt: str = "json") -> tuple[int, str]:
    """The envelope's code and message; fails unless the body is the RunSignup envelope."""
    if fmt == "json":
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        error = response.json()["error"]
        code, message = error["error_code"], error["error_msg"]
        for detail in error.get("error_details", []):
            assert isinstance(detail["error_code"], int) and detail["error_msg"]
        return code, message
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == "error", response.text
    return int(root.findtext("error_code") or ""), root.findtext("error_msg") or ""


def _post_doc(world: World, path: str, doc: Doc, fmt: str = "json") -> Any:
    text = doc.text if isinstance(doc.text, bytes) else doc.text.encode("utf-8", "surrogatepass")
    files = {"request": (None, text), "request_format": (None, doc.request_format)}
    return world.client.post(path, params=world.rsu_query(fmt), files=files)


def _check(world: World, send: Any, codes: frozenset[int] | set[int], fmt: str = "json") -> int:
    before = world.snapshot()
    started = time.monotonic()
    response = send()
    assert time.monotonic() - started < SECONDS
    assert response.status_code == 200, response.text
    code, message = _error(response, fmt)
    assert code in codes and message, (code, response.text[:300])
    world.assert_unchanged(before)
    return code


@pytest.mark.slow
def test_hostile_race_documents_on_create_and_edit(world: World, subtests) -> None:
    edit = f"/rest/race/{world.race.race_id}"
    for doc in DOCS:
        for path in ("/rest/race", edit):
            with subtests.test(f"{doc.name} -> {path}"):
                _check(world, lambda doc=doc, path=path: _post_doc(world, path, doc), doc.codes)


def test_hostile_documents_answer_in_xml_too(world: World, subtests) -> None:
    for doc in DOCS[:8] + DOCS[-8:]:
        with subtests.test(doc.name):
            _check(
                world, lambda doc=doc: _post_doc(world, "/rest/race", doc, "xml"), doc.codes, "xml"
            )


RAW_BODIES = [
    ("application/xml", p.BILLION_LAUGHS.encode(), MALFORMED),
    ("text/xml", p.EXTERNAL_ENTITY.encode(), MALFORMED),
    ("application/xml", p.DEEP_XML.encode(), MALFORMED),
    ("application/json", p.DEEP_JSON_OBJECTS.encode(), MALFORMED),
    ("application/json", p.INVALID_UTF8, MALFORMED),
    ("application/json", b"\x00" * 64, MALFORMED),
    (
        "application/x-www-form-urlencoded",
        b"request=" + p.INVALID_UTF8 + b"&request_format=json",
        MALFORMED,
    ),
    ("application/x-www-form-urlencoded", b"request={" + b"&" * 5000, MALFORMED | {3}),
    ("application/x-www-form-urlencoded", b"a=1&" * 2000, {3}),
    ("multipart/form-data", b"--x\r\n", {3}),
    (
        "multipart/form-data; boundary=x",
        b'--x\r\nContent-Disposition: form-data; name="request"'
        b"\r\n\r\n" + p.INVALID_UTF8 + b"\r\n--x--\r\n",
        MALFORMED,
    ),
    (
        "multipart/form-data; boundary=x",
        b'--x\r\nContent-Disposition: form-data; name="request"'
        b'; filename="r.xml"\r\n\r\n' + p.BILLION_LAUGHS.encode() + b"\r\n--x--\r\n",
        MALFORMED,
    ),
    ("multipart/form-data; boundary=x", b"--x\r\nContent-Dispo", {3}),
    ("multipart/form-data; boundary=" + "x" * 5000, b"--", {3}),
    ("text/plain", json.dumps(_race()).encode(), {3}),
    ("application/octet-stream", bytes(range(256)), {3}),
    ("image/png", b"\x89PNG\r\n\x1a\n", {3}),
    ("", b"request=x", {3}),
    ("application/json; charset=utf-16", json.dumps(_race()).encode("utf-16"), MALFORMED),
]


def test_hostile_raw_bodies_and_content_types(world: World, subtests) -> None:
    for content_type, body, codes in RAW_BODIES:
        headers = {"content-type": content_type} if content_type else {}
        with subtests.test(f"{content_type[:40]} {body[:20]!r}"):
            _check(
                world,
                lambda body=body, headers=headers: world.client.post(
                    "/rest/race", params=world.rsu_query(), content=body, headers=headers
                ),
                codes,
            )


HOSTILE_QUERIES = [
    {"race_id": "1" * 100},
    {"race_id": "%00"},
    {"race_id": "-1"},
    {"race_id": "１２"},
    {"race_id": "1e3"},
    {"race_id": "' OR 1=1 --"},
    {"page": "9" * 50},
    {"page": "-1"},
    {"results_per_page": "0"},
    {"results_per_page": "9" * 9},
    {"name": "%' OR 1=1 --"},
    {"name": "a\x00b"},
    {"state": "\x00"},
    {"country_code": "c" * 10_000},
    {"start_date": "9999-12-31"},
    {"start_date": "0001-01-01"},
    {"end_date": "99/99/9999"},
    {"events": "X"},
    {"future_events_only": "\x00"},
    {"format": "csv"},
    {"format": "\x00"},
    {"api_key": "\x00", "api_secret": "\x00"},
    {"tmp_key": "\x00", "tmp_secret": "x"},
    {"rsu_api_key": "' OR 1=1 --"},
    {"api_key": "k" * 10_000, "api_secret": "s"},
]


def test_hostile_query_parameters_on_reads(world: World, subtests) -> None:
    paths = ["/rest/races", "/rest/race", f"/rest/race/{world.race.race_id}"]
    for query in HOSTILE_QUERIES:
        for path in paths:
            with subtests.test(f"{path} {str(query)[:40]}"):
                before = world.snapshot()
                response = world.client.get(path, params={"format": "json", **query})
                assert response.status_code == 200, response.text
                body = response.json() if "json" in response.headers["content-type"] else None
                if body is None or "error" in body:
                    _error(response, "json" if body is not None else "xml")
                else:
                    assert set(body) <= {"race", "races"}
                world.assert_unchanged(before)


RAW_QUERY_STRINGS = [
    "&" * 30_000,
    "format=json&" + "a=1&" * 2000,
    "format=json&a=%zz&race_id=%",
    "format=json&race_id=%ed%a0%80",
    "format=json&format=xml&format=%00",
    "format=json&page=1&page[]=2",
    "%ff%fe=%00",
]


def test_hostile_raw_query_strings(world: World, subtests) -> None:
    for query in RAW_QUERY_STRINGS:
        for path in ("/rest/races", f"/rest/race/{world.race.race_id}"):
            with subtests.test(f"{path} {query[:30]}"):
                before = world.snapshot()
                response = world.client.get(f"{path}?{query}")
                assert response.status_code == 200, response.text
                if "json" in response.headers["content-type"]:
                    body = response.json()
                    assert "error" not in body or _error(response)[1]
                else:
                    assert ET.fromstring(response.content).tag in {"error", "race", "races"}
                world.assert_unchanged(before)


HOSTILE_PATHS = [
    "/rest/race/%00",
    "/rest/race/%ff",
    "/rest/race/..%2f..",
    "/rest/race/" + "9" * 30,
    "/rest/race/1.5",
    "/rest/%00",
    "/rest/race/1%0d%0aX:%20y",
    "/REST/RACE/1/2/3",
]


def test_hostile_paths(world: World, subtests) -> None:
    for path in HOSTILE_PATHS:
        for method in ("GET", "POST", "PUT", "DELETE"):
            with subtests.test(f"{method} {path}"):
                before = world.snapshot()
                response = world.client.request(method, path, params=world.rsu_query())
                assert response.status_code == 200, response.text
                _error(response)
                world.assert_unchanged(before)


def test_hostile_login_and_logout(world: World, subtests) -> None:
    bodies = [
        b"email=%00&password=x",
        b"email=" + b"a" * 100_000 + b"&password=x",
        b"email=owner%40example.com%00&password=" + PASSWORD.replace(" ", "+").encode(),
        b"email=owner%40example.com&password=%ED%A0%80%FF",
        b"email=' OR 1=1 --&password=' OR 1=1 --",
        b"email[]=a&email[]=b&password=x",
        b"password=" + b"p" * 500_000,
        b"email=owner%40example.com&password=",
    ]
    for body in bodies:
        with subtests.test(f"login {body[:40]!r}"):
            code = _check(
                world,
                lambda body=body: world.client.post(
                    "/rest/login",
                    params={"format": "json"},
                    content=body,
                    headers={"content-type": "application/x-www-form-urlencoded"},
                ),
                {3, 101, 102},
            )
            assert code != 0
    for query in [
        {"tmp_key": "\x00", "tmp_secret": "\x00"},
        {"tmp_key": "' OR 1=1 --"},
        {
            "tmp_key": "k" * 10_000,
            "tmp_secret": "\udfff".encode("utf-8", "surrogatepass").decode("latin-1"),
        },
    ]:
        with subtests.test(f"logout {str(query)[:40]}"):
            _check(
                world,
                lambda query=query: world.client.post(
                    "/rest/logout", params={"format": "json", **query}
                ),
                {3, 6},
            )


def test_hostile_signatures(world: World, subtests) -> None:
    now = int(time.time())
    signatures = [
        "",
        "\x00",
        "1.1.aaaaaaaa." + "0" * 40,
        "999999999.999999999999.aaaaaaaa." + "0" * 40,
        "a" * 5000,
        f"{world.credentials.signing_id}.{now}.' OR 1=1.{'0' * 40}",
        f"{world.credentials.signing_id}.{now}.aaaaaaaa.{'0' * 40}",
    ]
    doc = json.dumps(_race(url_string="SignedRace"))
    for value in signatures:
        with subtests.test(value[:30]):
            query = {**world.rsu_query(), "protected_api_signature": value}
            _check(
                world,
                lambda query=query: world.client.post(
                    "/rest/race", params=query, data={"request": doc, "request_format": "json"}
                ),
                {290, 291},
            )


def test_header_injection_stays_out_of_headers(world: World) -> None:
    response = world.client.get("/rest/races", params={"format": "json\r\nX-Injected: 1"})
    assert response.status_code == 200
    assert "x-injected" not in response.headers
    assert _error(response, "xml")[0] == 10


def test_surrogate_pairs_are_still_json(world: World) -> None:
    """Only lone surrogates are refused: an escaped pair is the character it encodes."""
    doc = Doc("pair", json.dumps(_race(name="Race \U0001f600")), "json", frozenset())
    assert "\\ud83d\\ude00" in str(doc.text)
    response = _post_doc(world, "/rest/race", doc)
    assert response.json()["race"]["name"] == "Race \U0001f600", response.text


def test_bodies_over_the_limit_are_413_before_read_whole(world: World, settings, tmp_path) -> None:
    """A real server: a declared 10 GiB body and an endless chunked stream get 413 with the
    RunSignup envelope long before they could be sent whole; a stalled body does not hold
    other requests up."""
    before = world.snapshot()
    path = "/rest/race?" + urlencode(world.rsu_query())
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    mib = 1024 * 1024
    with running_server(settings, tmp_path / "server") as server:
        stalled = stall(server.base_url, path, headers)
        try:
            for total, chunked, most in [(10 * 1024 * mib, False, 1), (256 * mib, True, 32 * mib)]:
                answer = post_streaming(
                    server.base_url, path, headers, total=total, chunked=chunked
                )
                assert answer.status == 413, answer.head
                assert json.loads(answer.body)["error"]["error_code"] == 11
                assert answer.sent < most, (chunked, answer.sent)
            races = httpx.get(f"{server.base_url}/rest/races?format=json", timeout=5)
            assert races.status_code == 200 and "races" in races.json()
        finally:
            stalled.close()
    world.assert_unchanged(before)

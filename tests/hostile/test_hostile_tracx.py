"""Hostile input against the Tracx Connect API: every request gets Laravel's own error body
(422 with `message` + `errors`, 401, 404, 413), never a 500 or a hang, and the database is
exactly as it was (see snapshot.py for the tables left out and why)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import httpx

from tests.hostile import payloads as p
from tests.hostile.conftest import World
from tests.hostile.rawhttp import post_streaming, stall
from tests.support.server import running_server

SECONDS = 30.0  # refused within this, or it counts as a hang (generous: a shared 2-core box)
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Case:
    name: str
    body: bytes
    content_type: str | None = JSON
    status: int = 422


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def _every_field(world: World, value: Any) -> bytes:
    return _json({name: value for name in world.participant()})


def cases(world: World) -> list[Case]:
    good = world.participant
    return [
        Case("billion laughs", p.BILLION_LAUGHS.encode(), "application/xml"),
        Case("quadratic blow-up", p.QUADRATIC_BLOWUP.encode(), "text/xml"),
        Case("external entity", p.EXTERNAL_ENTITY.encode(), "application/xml"),
        Case("external DTD", p.EXTERNAL_DTD.encode(), "application/xml"),
        Case("malformed XML", p.MALFORMED_XML.encode(), "application/xml"),
        Case("malformed JSON", p.MALFORMED_JSON.encode()),
        Case("JSON cut short", _json(good())[:-5]),
        Case("invalid UTF-8", b'{"unique_id": "' + p.INVALID_UTF8 + b'"}'),
        Case("invalid UTF-8 form", b"unique_id=%ff%fe&race_id=1", FORM),
        Case("lone surrogate escape", _json(good()).replace(b'"Kris"', b'"\\ud800"')),
        Case("NaN and Infinity", b'{"race_id": NaN, "start_number": Infinity}'),
        Case("10^5 nested arrays", p.DEEP_JSON_ARRAYS.encode()),
        Case("10^5 nested objects", p.DEEP_JSON_OBJECTS.encode()),
        Case("10^5 nested XML", p.DEEP_XML.encode(), "application/xml"),
        Case("10^5 nested form keys", b"unique_id" + b"[a]" * p.DEPTH + b"=1", FORM),
        Case(
            "huge integer race_id",
            _json(good(race_id=0)).replace(b": 0", b": " + p.HUGE_INTEGER.encode()),
        ),
        Case("huge integer string race_id", _json(good(race_id="9" * 5000))),
        Case("huge integer form race_id", b"race_id=" + b"9" * 5000, FORM),
        Case("huge float", _json(good()).replace(b'"race_id": ', b'"race_id": 1e999, "x": ')),
        Case("64-bit edge race_id", _json(good(race_id=2**63 - 1))),
        Case("beyond 64-bit race_id", _json(good(race_id=2**64))),
        Case("negative race_id", _json(good(race_id=-(2**31) - 1))),
        Case("huge strings", _json(good(first_name="a" * 400_000, unique_id="b" * 400_000))),
        Case("every field an array", _every_field(world, [1, 2])),
        Case("every field an object", _every_field(world, {"a": 1})),
        Case("every field true", _every_field(world, True)),
        Case("every field false", _every_field(world, False)),
        Case("every field a float", _every_field(world, 1.5)),
        Case("every field null", _every_field(world, None)),
        Case("every field empty", _every_field(world, "")),
        Case("every field an int", _every_field(world, 7)),
        Case(
            "SQL injection",
            _json(
                good(unique_id=p.SQL_INJECTION, first_name=p.SQL_INJECTION, chip_code="' OR '1'='1")
            ),
        ),
        Case("header injection", _json(good(first_name=p.HEADER_INJECTION, chip_code="1"))),
        Case("NUL bytes", _json(good(first_name="Kr\x00is", team_name="\x00"))),
        Case("NUL bytes form", b"unique_id=a%00b&first_name=%00&race_id=%00", FORM),
        Case("NUL bytes raw", b"\x00" * 64),
        Case("top-level scalar", b"12"),
        Case("top-level null", b"null"),
        Case("array instead of object", _json([good()])),
        Case("text/plain body", _json(good()).replace(b"0000001", b"123"), "text/plain"),
        Case("octet-stream", b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "application/octet-stream"),
        Case(
            "multipart body",
            b'--x\r\nContent-Disposition: form-data; name="unique_id"\r\n\r\n1\r\n--x--\r\n',
            "multipart/form-data; boundary=x",
        ),
        Case("broken multipart", b"--x\r\nContent-Dispo", "multipart/form-data"),
        Case("no content type", b"unique_id=1&race_id=x", None),
        Case("JSON content type, form body", b"unique_id=1&race_id=1", JSON),
        Case("huge content type", _json(good(chip_code="1")), "application/" + "j" * 6000),
        Case("empty body", b""),
        Case("chip taken by another runner", b""),  # filled in by the test: see _clash
    ]


def _batch_cases(world: World) -> list[Case]:
    good = world.participant
    return [
        Case("batch: object instead of array", _json(good())),
        Case("batch: array of junk", _json([1, "a", None, [], {}, True])),
        Case("batch: 10^5 nested arrays", p.DEEP_JSON_ARRAYS.encode()),
        Case(
            "batch: one good, one hostile",
            _json(
                [
                    good(unique_id="new-1", chip_code="0000009", start_number="9"),
                    good(unique_id="x", race_id="9" * 5000),
                ]
            ),
        ),
        Case(
            "batch: unique_id twice",
            _json(
                [good(unique_id="d", chip_code="1111111"), good(unique_id="d", chip_code="2222222")]
            ),
        ),
        Case("batch: race of another event", _json([good(race_id=2**31 - 1)])),
        Case("batch: NUL bytes", _json([good(last_name="\x00")])),
        Case("batch: invalid UTF-8", b"[" + p.INVALID_UTF8 + b"]"),
        Case("batch: XML", p.BILLION_LAUGHS.encode(), "application/xml"),
    ]


def _send(world: World, path: str, case: Case) -> Any:
    headers = {"Authorization": world.token}
    if case.content_type is not None:
        headers["Content-Type"] = case.content_type
    return world.client.post(path, content=case.body, headers=headers)


def _check(world: World, path: str, case: Case) -> None:
    before = world.snapshot()
    started = time.monotonic()
    response = _send(world, path, case)
    elapsed = time.monotonic() - started
    assert response.status_code == case.status, (case.name, response.status_code, response.text)
    assert elapsed < SECONDS, (case.name, elapsed)
    assert response.headers["content-type"].startswith(JSON)
    body = response.json()
    assert isinstance(body["message"], str) and body["message"]
    if case.status == 422:
        assert isinstance(body["errors"], dict) and body["errors"]
        for key, messages in body["errors"].items():
            assert isinstance(key, str)
            assert messages and all(isinstance(m, str) for m in messages)
    world.assert_unchanged(before)


def _clash(world: World) -> Case:
    """A second runner that brings the first one's chip: 422 on chip_code, nothing written."""
    return Case(
        "chip taken by another runner",
        _json(world.participant(unique_id="runner-2", start_number="2")),
    )


def test_single_participant_hostile_bodies(world: World, subtests) -> None:
    for case in cases(world):
        if case.name == "chip taken by another runner":
            case = _clash(world)
        with subtests.test(case.name):
            _check(world, "/v1/connect/participant", case)


def test_batch_hostile_bodies(world: World, subtests) -> None:
    path = f"/v1/connect/events/{world.race.edition_id}/participants"
    for case in _batch_cases(world):
        with subtests.test(case.name):
            _check(world, path, case)


def test_huge_integer_strings_are_not_integers(world: World) -> None:
    """Regression: PHP's FILTER_VALIDATE_INT on 5000 digits was int() past Python's 4300-digit
    limit, a ValueError and a 500. It is simply no integer."""
    for body, content_type in [
        (_json(world.participant(race_id="9" * 5000)), JSON),
        (b"race_id=" + b"9" * 5000, FORM),
    ]:
        response = _send(world, "/v1/connect/participant", Case("", body, content_type))
        assert response.status_code == 422, response.text
        assert response.json()["errors"]["race_id"] == ["The race id field must be an integer."]


HOSTILE_BATCH_PATHS = ["9" * 30, "-1", "%00", "1.5", str(2**63), "%ff", "1%0d%0aX: y"]
HOSTILE_TOKENS = [
    b"",
    b"Bearer ",
    b"Bearer \xff\xfe",
    b"1|" + b"a" * 8000,
    b"99999999999999999999|x",
    b"-1|x",
    b"0|x",
    b"' OR 1=1 --|x",
    b"1|\x7f",
    b"a.b.c",
    b"eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
    b"Bearer Bearer Bearer",
]
HOSTILE_EVENT_IDS = [
    "9" * 100,
    "%00",
    "1e5",
    str(2**63),
    "-" + str(2**63 + 1),
    "' OR 1=1",
    "%ff",
    "[]",
]


def test_hostile_batch_paths(world: World, subtests) -> None:
    for path in HOSTILE_BATCH_PATHS:
        with subtests.test(path):
            before = world.snapshot()
            response = world.client.post(
                f"/v1/connect/events/{path}/participants",
                json=[world.participant(first_name="Changed")],
                headers={"Authorization": world.token},
            )
            assert response.status_code in {404, 422}, response.text
            assert isinstance(response.json()["message"], str)
            world.assert_unchanged(before)


def test_hostile_tokens_are_401(world: World, subtests) -> None:
    for authorization in HOSTILE_TOKENS:
        with subtests.test(repr(authorization[:30])):
            before = world.snapshot()
            for method, path in [
                ("POST", "/v1/connect/session-token"),
                ("GET", "/v1/connect/events"),
                ("POST", "/v1/connect/participant"),
            ]:
                response = world.client.request(
                    method,
                    path,
                    headers={"Authorization": authorization},
                    json=world.participant(first_name="Changed"),
                )
                assert response.status_code == 401, (path, response.text)
                assert response.json() == {"message": "Unauthenticated."}
            world.assert_unchanged(before)


def test_hostile_race_list_queries(world: World, subtests) -> None:
    for event_id in HOSTILE_EVENT_IDS:
        with subtests.test(event_id[:30]):
            response = world.client.get(
                f"/v1/connect/races?event_id={event_id}", headers={"Authorization": world.token}
            )
            assert response.status_code == 422, response.text
            assert response.json()["errors"]["event_id"]


def test_header_injection_is_data_not_headers(world: World) -> None:
    """CR/LF in a name is a valid Laravel string: stored as sent, never echoed into headers."""
    response = world.client.post(
        "/v1/connect/participant",
        json=world.participant(first_name=p.HEADER_INJECTION),
        headers={"Authorization": world.token},
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["first_name"] == p.HEADER_INJECTION
    assert "set-cookie" not in response.headers and "x-injected" not in response.headers


def test_bodies_over_the_limit_are_413_before_read_whole(world: World, settings, tmp_path) -> None:
    """A real server: a declared 10 GiB body and endless chunked streams get Laravel's 413
    long before they could be sent whole; a stalled body does not hold other requests up."""
    before = world.snapshot()
    headers = {"Authorization": world.token, "Content-Type": JSON}
    batch = f"/v1/connect/events/{world.race.edition_id}/participants"
    mib = 1024 * 1024
    with running_server(settings, tmp_path / "server") as server:
        stalled = stall(server.base_url, "/v1/connect/participant", headers)
        try:
            for path, total, chunked, most in [
                ("/v1/connect/participant", 10 * 1024 * mib, False, 1),
                ("/v1/connect/participant", 256 * mib, True, 32 * mib),
                (batch, 10 * 1024 * mib, False, 1),
                (batch, 256 * mib, True, 96 * mib),
            ]:
                answer = post_streaming(
                    server.base_url, path, headers, total=total, chunked=chunked
                )
                assert answer.status == 413, answer.head
                assert json.loads(answer.body) == {"message": "The request body is too large."}
                assert answer.sent < most, (path, chunked, answer.sent)
            events = httpx.get(
                f"{server.base_url}/v1/connect/events",
                timeout=5,
                headers={"Authorization": world.token},
            )
            assert events.status_code == 200
        finally:
            stalled.close()
    world.assert_unchanged(before)


HOSTILE_QUERY_STRINGS = [
    b"race_id" + b"[a]" * 15_000 + b"=1",
    b"&" * 30_000,
    b"a=%zz&race_id=%",
    b"race_id=%00&unique_id[]=x",
    b"race_id=" + b"9" * 5000,
    b"chip_code=0000001&chip_code[]=1",
    b"%ff%fe=%ed%a0%80",
]


def test_hostile_query_strings_merge_under_the_body(world: World, subtests) -> None:
    """Query values are merged under the body (Laravel); hostile ones change nothing."""
    body = _json(world.participant(chip_code="short"))
    for query in HOSTILE_QUERY_STRINGS:
        with subtests.test(repr(query[:30])):
            path = "/v1/connect/participant?" + query.decode("latin-1")
            _check(world, path, Case("query", body))

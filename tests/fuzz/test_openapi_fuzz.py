"""Schemathesis against the app's OpenAPI document, both dialects, in process (ASGI).

Every operation gets positive and negative cases generated from its documented parameters
and request bodies (multipart, urlencoded, bare JSON and XML race documents, Tracx JSON and
form bodies). Half the cases carry valid credentials (RunSignup key + fresh protected API
signature; a Tracx connect token) so the authenticated paths run too. Checks: no 5xx, no
RunSignup "4 Unknown error" (a 500 in RunSignup's HTTP-200 clothing), and every response
conforms to its documented schema.

Budget: STARTLINE_FUZZ_EXAMPLES (see conftest.py), e.g.
`STARTLINE_FUZZ_EXAMPLES=500 .venv/bin/python -m pytest -q tests/fuzz -s` for a deep run."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
import schemathesis
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.fuzz.conftest import EXAMPLES, fuzz_settings
from tests.hostile.conftest import World


@schemathesis.deserializer("application/xml")
def _xml(_ctx: Any, response: Any) -> dict[str, Any]:
    """A RunSignup XML answer as `{root tag: content}` (the documented XML schemas)."""
    root = ET.fromstring(response.content)
    return {root.tag: [child.tag for child in root]}


@schemathesis.check
def no_hidden_server_error(ctx: Any, response: Any, case: Any) -> bool | None:
    """RunSignup maps a 500 to HTTP 200 with error 4; that is a server error all the same."""
    if (
        not case.path.startswith("/rest")
        or b"<error_code>4<" not in response.content
        and b'"error_code":4,' not in response.content
    ):
        return None
    raise AssertionError(f"RunSignup error 4 (Unknown error) for {case.path}")


CHECKS = [not_a_server_error, response_schema_conformance, no_hidden_server_error]


def _authenticate(world: World, case: Any) -> None:
    if case.path.startswith("/rest"):
        query = case.query or {}
        case.query = {**query, **world.rsu_query(query.get("format", "json"))}
    else:
        case.headers = {**(case.headers or {}), "Authorization": world.token}


def _no_long_polls(case: Any) -> None:
    """A valid `wait` makes the feed hold the request up to 30 s: fuzz it without waiting
    (invalid values still reach the server as generated)."""
    wait = (case.query or {}).get("wait")
    if isinstance(wait, str | int) and str(wait).strip().lstrip("+").isdigit():
        case.query = {**case.query, "wait": "0"}


# Endless by design (a live page's Server-Sent Events): a fuzzed call would never return.
NOT_FUZZED = {"/public/v1/editions/{edition_id}/stream"}


def _operations(app: Any) -> list[Any]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    return [operation for operation in operations if operation.path not in NOT_FUZZED]


def _fuzz(world: World, operation: Any, generation: Any, ran: dict[str, int]) -> None:
    label = f"{operation.method.upper()} {operation.path}"

    @fuzz_settings()
    @given(case=operation.as_strategy(generation_mode=generation), signed=st.booleans())
    def run(case: Any, signed: bool) -> None:
        if signed:
            _authenticate(world, case)
        _no_long_polls(case)
        case.call_and_validate(checks=CHECKS)
        ran[label] = ran.get(label, 0) + 1

    try:
        run()
    except Unsatisfiable:
        # Nothing to make invalid (no parameters, no body): only negative mode gets here.
        assert generation is schemathesis.GenerationMode.NEGATIVE, label


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_no_server_errors_and_schema_conformance(world: World, app, mode: str) -> None:
    generation = schemathesis.GenerationMode(mode)
    ran: dict[str, int] = {}
    for operation in _operations(app):
        _fuzz(world, operation, generation, ran)
    print(
        f"\nschemathesis {mode}: {sum(ran.values())} cases over {len(ran)} operations "
        f"(STARTLINE_FUZZ_EXAMPLES={EXAMPLES})"
    )
    assert len(ran) >= 10 and sum(ran.values()) >= len(ran)

"""Hypothesis-generated Tracx participant payloads and RunSignup race documents: every field
is sometimes valid, sometimes the wrong type, huge, empty, odd Unicode or absent. Whatever
arrives, the answer is the dialect's own (200/422 for Tracx; a race or the error envelope
for RunSignup), and a refusal changes nothing in the database.

Budget: STARTLINE_FUZZ_EXAMPLES (see conftest.py) times 5 examples per property."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.conftest import EXAMPLES, fuzz_settings
from tests.hostile.conftest import World

EXAMPLES_PER_PROPERTY = EXAMPLES * 5
ABSENT = object()

odd_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=120)
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63, max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    odd_text,
    st.just(""),
    st.just("   "),
    st.text(min_size=101, max_size=300),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


def _field(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(valid, valid, junk, st.just(ABSENT))


def _participants(world: World) -> st.SearchStrategy[dict[str, Any]]:
    events = world.race.event_ids
    fields = {
        "unique_id": _field(st.from_regex(r"[A-Za-z0-9_-]{1,20}", fullmatch=True)),
        "first_name": _field(st.text(min_size=1, max_size=30)),
        "last_name": _field(st.text(min_size=1, max_size=30)),
        "country_code": _field(st.sampled_from(["nl", "NL", "us", "xx", None])),
        "team_name": _field(st.text(max_size=30)),
        "date_of_birth": _field(st.dates().map(lambda d: d.isoformat())),
        "start_number": _field(
            st.one_of(st.integers(0, 10**6), st.from_regex(r"[0-9]{1,6}", fullmatch=True))
        ),
        "chip_code": _field(st.from_regex(r"[A-Z0-9]{7}", fullmatch=True)),
        "gender": _field(st.sampled_from(["male", "female", "neutral", "Male", None])),
        "state": _field(st.sampled_from(["before", "finished", "did_not_start", "x", None])),
        "race_id": _field(st.sampled_from([*events, 0, -1, str(events[0]), f" {events[1]} "])),
    }
    return st.fixed_dictionaries(fields).map(
        lambda drawn: {name: value for name, value in drawn.items() if value is not ABSENT}
    )


def test_generated_participants_get_laravel_answers(world: World) -> None:
    @fuzz_settings(EXAMPLES_PER_PROPERTY)
    @given(payload=_participants(world))
    def run(payload: dict[str, Any]) -> None:
        before = world.snapshot()
        body = json.dumps(payload).encode()
        response = world.client.post(
            "/v1/connect/participant",
            content=body,
            headers={"Authorization": world.token, "Content-Type": "application/json"},
        )
        assert response.status_code in {200, 422}, response.text
        answer = response.json()
        if response.status_code == 422:
            assert isinstance(answer["message"], str) and answer["errors"]
            world.assert_unchanged(before)
            return
        stored = answer["data"]
        assert stored["unique_id"] == str(payload["unique_id"]).strip()
        assert stored["race_id"] == int(payload["race_id"])
        assert stored["full_name"] == f"{stored['first_name']} {stored['last_name']}"

    run()


def _race_documents() -> st.SearchStrategy[dict[str, Any]]:
    event = st.fixed_dictionaries(
        {
            "name": _field(st.text(min_size=1, max_size=40)),
            "start_time": _field(st.datetimes().map(lambda d: d.strftime("%Y-%m-%d %H:%M"))),
            "end_time": _field(st.datetimes().map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S"))),
            "event_type": _field(st.sampled_from(["running_race", "virtual_race", "swim", "x"])),
            "distance": _field(st.one_of(st.floats(0, 500), st.text(max_size=5))),
            "distance_units": _field(st.sampled_from(["K", "M", "F"])),
            "event_id": _field(st.integers(-5, 10)),
        }
    )
    address = st.fixed_dictionaries(
        {
            "street": _field(st.text(max_size=60)),
            "city": _field(st.text(min_size=1, max_size=40)),
            "state": _field(st.sampled_from(["NJ", "CA", "ZZ", "ON"])),
            "country_code": _field(st.sampled_from(["US", "ca", "NL", "XX"])),
            "zipcode": _field(st.from_regex(r"[0-9]{5}(-[0-9]{4})?", fullmatch=True)),
        }
    )
    document = st.fixed_dictionaries(
        {
            "name": _field(st.text(min_size=1, max_size=60)),
            "url_string": _field(st.from_regex(r"[A-Za-z0-9_-]{1,30}", fullmatch=True)),
            "draft_race": _field(st.sampled_from(["T", "F", "t", "yes"])),
            "timezone": _field(
                st.sampled_from(["America/New_York", "Europe/Amsterdam", "Mars/Base"])
            ),
            "contact_email": _field(st.emails()),
            "address": _field(address),
            "events": _field(st.lists(event, max_size=3)),
        }
    )
    return document.map(_drop_absent)


def _drop_absent(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_absent(v) for k, v in value.items() if v is not ABSENT}
    if isinstance(value, list):
        return [_drop_absent(item) for item in value]
    return value


def test_generated_race_documents_get_runsignup_answers(world: World) -> None:
    @fuzz_settings(EXAMPLES_PER_PROPERTY)
    @given(document=_race_documents(), edit=st.booleans())
    def run(document: dict[str, Any], edit: bool) -> None:
        before = world.snapshot()
        path = f"/rest/race/{world.race.race_id}" if edit else "/rest/race"
        files = {
            "request": (None, json.dumps(document).encode("utf-8", "surrogatepass")),
            "request_format": (None, "json"),
        }
        response = world.client.post(path, params=world.rsu_query(), files=files)
        assert response.status_code == 200, response.text
        answer = response.json()
        if "error" in answer:
            assert answer["error"]["error_code"] in {3, 11, 202, 213, 224, 227}, answer
            world.assert_unchanged(before)
            return
        race = answer["race"]
        read = world.client.get(
            f"/rest/race/{race['race_id']}", params={**world.rsu_query(signed=False)}
        ).json()["race"]
        assert {k: v for k, v in read.items() if k != "last_modified"} == {
            k: v for k, v in race.items() if k != "last_modified"
        }

    run()

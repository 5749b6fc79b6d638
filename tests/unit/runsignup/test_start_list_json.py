"""The start list's fast JSON writer against the reference: the objects participant_object
builds (which the XML uses too), written by codec.write_json, byte for byte."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from startline.dialects.runsignup.codec import write_json
from startline.dialects.runsignup.participants import (
    ListOptions,
    start_list_json,
    start_list_objects,
)
from startline.domain.participants.listing import ListedEvent, ListedRunner, StartList

EVENTS = (ListedEvent(7, 1, date(2030, 5, 1)), ListedEvent(3, 1, date(2030, 12, 31)))
texts = st.text(max_size=12)
moments = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
runners = st.builds(
    ListedRunner,
    id=st.integers(1, 2**31 - 1),
    event_id=st.sampled_from([7, 3]),
    start_number=st.none() | texts | st.integers(0, 2**60).map(str),
    chip_code=st.none() | texts,
    first_name=texts,
    last_name=texts,
    date_of_birth=st.none() | st.dates(min_value=date(1900, 1, 1)),
    country_code=st.none() | st.sampled_from(["nl", "US", "de"]),
    team_name=st.none() | texts,
    gender=st.none() | st.sampled_from(["male", "female", "neutral"]),
    origin=st.sampled_from(["tracx", "runsignup", "csv"]),
    created_at=moments,
    updated_at=moments,
    age=st.none() | st.integers(0, 120),
)
options = st.builds(ListOptions, st.booleans(), st.booleans(), st.booleans())


@settings(max_examples=200, deadline=None)
@given(page=st.lists(runners, max_size=8), shown=options)
def test_the_template_writes_what_json_dumps_writes(page, shown):
    start_list = StartList(events=EVENTS, runners=page)
    fast = bytes(start_list_json(start_list, shown))
    assert fast == write_json(start_list_objects(start_list, shown))
    assert fast.startswith(b'[{"event":{"event_id":7,')
    assert [e["event"]["event_id"] for e in json.loads(fast)] == [7, 3]


def test_a_percent_sign_and_quotes_in_names_survive():
    runner = ListedRunner(
        1,
        7,
        "100%",
        None,
        '"%s"',
        "a\\b\n",
        None,
        None,
        "50% off",
        None,
        "csv",
        datetime(2030, 1, 1, tzinfo=UTC),
        datetime(2030, 1, 1, tzinfo=UTC),
        None,
    )
    start_list = StartList(events=EVENTS[:1], runners=[runner])
    shown = ListOptions(False, False, False)
    body = json.loads(bytes(start_list_json(start_list, shown)))
    user = body[0]["participants"][0]["user"]
    assert (user["first_name"], user["last_name"]) == ('"%s"', "a\\b\n")
    assert body[0]["participants"][0]["bib_num"] == "100%"

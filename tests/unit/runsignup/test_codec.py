"""The dialect's pieces on their own: XML/JSON codec, urlencoded bodies with raw JSON, wire
values (flags, ids, times) and output formatting."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from startline.dialects.runsignup.codec import DocumentError, read_xml, write_json, write_xml
from startline.dialects.runsignup.document import flag, identifier, local_datetime
from startline.dialects.runsignup.params import parse_urlencoded
from startline.dialects.runsignup.render import day, distance, moment
from startline.domain.races import errors as e


def test_xml_reading_conventions():
    doc = read_xml(
        "<anything><name> Race </name>,<empty/><address><city>X</city></address>"
        "<events><event><name>5K</name></event></events>"
        "<list><item>1</item><item>2</item></list></anything>"
    )
    assert doc == {
        "name": "Race",
        "empty": None,
        "address": {"city": "X"},
        "events": [{"name": "5K"}],
        "list": ["1", "2"],
    }


def test_xml_writing_conventions():
    body = write_xml(
        {
            "races": [
                {
                    "race": {
                        "race_id": 1,
                        "name": "A & <B>",
                        "draft": True,
                        "none": None,
                        "events": [{"event_id": 2}],
                    }
                }
            ]
        }
    ).decode()
    assert body == (
        '<?xml version="1.0" encoding="utf-8"?>\n<races><race><race_id>1</race_id>'
        "<name>A &amp; &lt;B&gt;</name><draft>T</draft><none/><events><event><event_id>2"
        "</event_id></event></events></race></races>"
    )
    assert (
        write_xml({"error": {"error_details": [{"error_code": 1}]}})
        .decode()
        .endswith(
            "<error><error_details><error><error_code>1</error_code></error></error_details></error>"
        )
    )
    assert write_xml({"x": {"c": "a\x00b\x1fc"}}).decode().endswith("<x><c>abc</c></x>")
    assert write_json({"a": "é"}) == '{"a":"é"}'.encode()


@pytest.mark.parametrize("text", ["<a>", "", "<a><b></a>", "<?xml version='1.0'?>"])
def test_malformed_xml(text):
    with pytest.raises(DocumentError):
        read_xml(text)


def test_urlencoded_raw_json():
    raw = 'format=json&request={"name": "A&B + 100%", "x": [1, {"y": "&"}]}&request_format=json'
    assert parse_urlencoded(raw) == {
        "format": "json",
        "request": '{"name": "A&B + 100%", "x": [1, {"y": "&"}]}',
        "request_format": "json",
    }
    assert parse_urlencoded("request=%7B%22a%22%3A1%7D&b=2") == {"request": '{"a":1}', "b": "2"}
    assert parse_urlencoded("request={broken&b=2") == {"request": "{broken", "b": "2"}


def test_wire_values():
    assert [flag(v) for v in ("T", "f", "true", True, "", None)] == [
        True,
        False,
        True,
        True,
        None,
        None,
    ]
    with pytest.raises(ValueError):
        flag("maybe")
    assert identifier("12") == 12 and identifier(" ") is None and identifier(7) == 7
    for bad in ("-1", "0", "1.5", "99999999999", True, 2**40, "١٢"):
        with pytest.raises(ValueError):
            identifier(bad)
    assert local_datetime("2030-06-07 08:30", e.StartTimeInvalid) == datetime(2030, 6, 7, 8, 30)
    assert local_datetime("2030-06-07 08:30:15", e.StartTimeInvalid) == datetime(
        2030, 6, 7, 8, 30, 15
    )
    for bad in ("0001-01-01 00:00", "9999-12-31 23:59", "2030-06-07", "2030-06-07 25:00", 5):
        assert isinstance(local_datetime(bad, e.StartTimeInvalid), e.StartTimeInvalid)


def test_output_formats():
    assert day(date(2014, 6, 7)) == "06/07/2014"
    assert moment(datetime(2014, 6, 7, 8, 5)) == "6/7/2014 08:05"
    assert moment(datetime(2025, 12, 25, 23, 0, tzinfo=UTC)) == "12/25/2025 23:00"
    assert [
        distance(8.0, "K"),
        distance(26.2, "M"),
        distance(1.0, "M"),
        distance(None, None),
        distance(0.5, "K"),
    ] == ["8K", "26.2 Miles", "1 Mile", None, "0.5K"]


_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
    max_size=40,
).map(str.strip)


@settings(max_examples=200, deadline=None)
@given(
    name=_TEXT,
    events=st.lists(
        st.fixed_dictionaries({"name": _TEXT, "event_id": st.integers(1, 10**6)}),
        min_size=2,
        max_size=5,
    ),
)
def test_xml_written_is_xml_read(name, events):
    """Whatever the writer emits, the reader gives back (empty text reads as not set)."""
    written = write_xml({"race": {"name": name, "events": events}}).decode()
    read = read_xml(written)
    assert read["name"] == (name or None)
    assert read["events"] == [
        {"name": ev["name"] or None, "event_id": str(ev["event_id"])} for ev in events
    ]

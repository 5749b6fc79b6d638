"""Tracx body parsing: JSON whatever the header, PHP forms, query merge, Laravel's trimming."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from startline.dialects.tracx import body
from startline.dialects.tracx.body import parse_php_form, parse_request_data, trim_string
from tests.support.world import SEED_CURL_BODY, SEED_PARTICIPANT

FORM = "application/x-www-form-urlencoded"

# The seed's curl example, byte for byte: curl -d sends it as a form.
SEED_BODY = SEED_CURL_BODY.encode()


def test_seed_curl_example_is_json_despite_the_form_content_type() -> None:
    assert parse_request_data(SEED_BODY, FORM, b"") == SEED_PARTICIPANT


@pytest.mark.parametrize("content_type", [None, FORM, "text/plain", "application/json"])
def test_json_is_json_whatever_the_header(content_type: str | None) -> None:
    assert parse_request_data(b'{"a": " b "}', content_type, b"") == {"a": "b"}


def test_real_form_body_is_a_form() -> None:
    assert parse_request_data(b"a=b&c=d", FORM, b"") == {"a": "b", "c": "d"}
    assert parse_request_data(b"a=b&c=d\n", None, b"") == {"a": "b", "c": "d"}


def test_form_decoding_follows_php() -> None:
    assert parse_php_form("a+b=1%202&c.d=x&e=&f") == {"a_b": "1 2", "c_d": "x", "e": "", "f": ""}
    assert parse_php_form("a[b]=1&a[c][d]=2") == {"a": {"b": "1", "c": {"d": "2"}}}
    assert parse_php_form("a[]=1&a[]=2") == {"a": ["1", "2"]}
    assert parse_php_form("a[x=1") == {"a_x": "1"}
    assert parse_php_form("a=1&a=2") == {"a": "2"}
    assert parse_php_form("a=1&a[b]=2") == {"a": {"b": "2"}}
    assert parse_php_form("[x]=1&=2") == {}
    assert parse_php_form("%20a%00b=1") == {"a": "1"}


def test_form_reads_phps_first_1000_pairs() -> None:
    form = "&".join(f"k{index}=v" for index in range(1001))
    assert len(parse_php_form(form)) == 1000
    assert "k1000" not in parse_php_form(form)


def test_form_values_are_trimmed_and_empty_becomes_null() -> None:
    assert parse_request_data(b"a=%20x%20&b=&c=%E2%80%8B", FORM, b"") == {
        "a": "x",
        "b": None,
        "c": None,
    }


@pytest.mark.parametrize(
    "raw",
    [
        b"garbage",
        b"hello world",
        b'{"a": 1',
        b"{'a': 1}",
        b"\xff\xfe\x00a",
        b'{"a": "\xff"}',
        b"=x",
        b"\xef\xbb\xbf{}",
        b'{"a": 1,}',
        b"[1, 2",
    ],
)
def test_neither_json_nor_form_is_empty(raw: bytes) -> None:
    assert parse_request_data(raw, None, b"") == {}


def test_form_under_a_json_content_type_is_not_read() -> None:
    assert parse_request_data(b"a=b", "application/json; charset=utf-8", b"") == {}
    assert parse_request_data(b"a=b", "application/vnd.api+json", b"") == {}


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'{"a": -Infinity}',
        b'{"a": "\\ud800"}',
        b'{"a": "\\udc00"}',
        b'{"a": "x\\uD800\\u0041"}',
        b'{"\\ud800": 1}',
        b'[{"a": ["\\udfff"]}]',
    ],
)
def test_json_php_rejects_is_treated_as_empty(raw: bytes) -> None:
    assert parse_request_data(raw, "application/json", b"race_id=1") == {"race_id": "1"}


def test_surrogate_pairs_and_escaped_backslashes_are_fine() -> None:
    assert parse_request_data(b'{"a": "\\ud83d\\ude00"}', None, b"") == {"a": "\U0001f600"}
    assert parse_request_data(b'{"a": "\\\\ud800"}', None, b"") == {"a": "\\ud800"}


def test_query_is_merged_under_a_dict_body() -> None:
    data = parse_request_data(b'{"a": "body", "b": null}', None, b"a=query&c=%20q%20&d=")
    assert data == {"a": "body", "b": None, "c": "q", "d": None}


def test_query_alone_when_the_body_is_empty() -> None:
    assert parse_request_data(b"", None, b"race_id=1&x[]=2") == {"race_id": "1", "x": ["2"]}


def test_top_level_list_is_returned_without_the_query() -> None:
    data = parse_request_data(b'[{"a": " x "}, " ", 5]', FORM, b"a=1")
    assert data == [{"a": "x"}, None, 5]


@pytest.mark.parametrize("raw", [b"5", b'"text"', b"null", b"true"])
def test_top_level_scalar_counts_as_empty(raw: bytes) -> None:
    assert parse_request_data(raw, None, b"q=1") == {"q": "1"}


def test_big_integers_become_floats_as_in_php() -> None:
    data = parse_request_data(
        b'{"a": 9223372036854775807, "b": -9223372036854775808, "c": 9223372036854775808,'
        b' "d": -9223372036854775809, "e": 1' + b"0" * 400 + b"}",
        None,
        b"",
    )
    assert data == {
        "a": 2**63 - 1,
        "b": -(2**63),
        "c": float(2**63),
        "d": -float(2**63),
        "e": float("inf"),
    }
    assert type(data["a"]) is int and type(data["c"]) is float


def test_integers_beyond_pythons_digit_limit_are_floats() -> None:
    # Python refuses int("1" * 5000); PHP's json_decode reads it as a float (INF).
    data = parse_request_data(
        b'{"a": 1' + b"0" * 5000 + b', "b": -' + b"9" * 5000 + b"}", None, b""
    )
    assert data == {"a": float("inf"), "b": float("-inf")}


def test_nesting_limit_is_phps() -> None:
    # json_decode(depth 512) accepts 511 nested arrays/objects, refuses 512.
    assert parse_request_data(b"[" * 511 + b"]" * 511, None, b"") != {}
    assert parse_request_data(b"[" * 512 + b"]" * 512, None, b"") == {}
    assert parse_request_data(b'{"a":' * 512 + b"1" + b"}" * 512, None, b"") == {}
    assert parse_request_data(b"[" * 100_000 + b"]" * 100_000, None, b"") == {}


def test_nested_strings_are_trimmed_everywhere() -> None:
    raw = json.dumps({"a": [" x ", {"b": "\t"}], "c": {"d": [[" y\u200b"]]}}).encode()
    assert parse_request_data(raw, None, b"") == {"a": ["x", {"b": None}], "c": {"d": [["y"]]}}


@pytest.mark.parametrize(
    ("value", "trimmed"),
    [
        (" a ", "a"),
        ("\t\n\r\v\f a \f\v\r\n\t", "a"),
        ("\u200b a \ufeff", "a"),
        ("\u200e", None),
        ("", None),
        ("   ", None),
        ("a b", "a b"),
        # PHP's \s under /u is Unicode's whitespace (decision 18), U+180E and U+0085 included:
        ("\u00a0a\u00a0", "a"),
        ("\u3000a", "a"),
        ("\u2028a\u2029", "a"),
        ("a\x85", "a"),
        ("\u180e\u1680a\u202f\u205f", "a"),
        ("\u2000\u200a", None),
        ("a\u00a0b", "a\u00a0b"),
        # Not PHP's whitespace, though str.strip() removes them:
        ("\x1ca\x1f", "\x1ca\x1f"),
        # U+0000 stays so that the field reports it.
        ("\x00a", "\x00a"),
        (" \x00 ", "\x00"),
    ],
)
def test_trim_is_laravels_not_pythons(value: str, trimmed: str | None) -> None:
    assert trim_string(value) == trimmed
    assert parse_request_data(json.dumps({"v": value}).encode(), None, b"") == {"v": trimmed}


def test_python_strip_would_differ() -> None:
    # Guards the point of trim_string: the two disagree on the information separators and on
    # U+180E (no longer Unicode whitespace, still PCRE's).
    assert "\x1ca".strip() == "a" != trim_string("\x1ca")
    assert "\u180ea".strip() == "\u180ea" != trim_string("\u180ea")


def test_query_values_are_trimmed_like_bodies() -> None:
    query = b"first_name=%C2%A0Kris%E3%80%80&race_id=%C2%A01"
    assert parse_request_data(b"", None, query) == {"first_name": "Kris", "race_id": "1"}


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(value=_json_values, spaced=st.booleans())
def test_the_fast_parser_reads_what_the_stdlib_reads(value: object, spaced: bool) -> None:
    """orjson runs first on every body; wherever it accepts the text its reading must be the
    stdlib's (PHP's rules then apply to both alike)."""
    text = json.dumps(value, indent=1 if spaced else None, ensure_ascii=spaced)
    assert body._parse_json(text) == body._clean(
        body._parse_json_like_php(text), body._SURROGATE_ESCAPE.search(text) is not None
    )

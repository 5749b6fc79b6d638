"""Tracx participant rules: every rule, message, skip and ordering as Laravel 10+ gives them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from startline.dialects.tracx.errors import error_response_body
from startline.dialects.tracx.validation import (
    GENDERS,
    PARTICIPANT_FIELDS,
    STATES,
    filter_validate_int,
    php_float_string,
    taken_message,
    validate_participant,
    validate_participants,
)
from tests.support.world import SEED_PARTICIPANT

VALID: dict[str, Any] = dict(SEED_PARTICIPANT)
REQUIRED = (
    "unique_id",
    "first_name",
    "last_name",
    "date_of_birth",
    "start_number",
    "chip_code",
    "race_id",
)
OPTIONAL = ("country_code", "team_name", "gender", "state")


def in_scope(race_id: int) -> bool:
    return race_id in (1, 2)


def errors_of(**changes: Any) -> dict[str, list[str]]:
    data = {**VALID, **changes}
    return validate_participant(data, race_exists=in_scope).errors


def field_errors(field: str, value: Any) -> list[str]:
    return errors_of(**{field: value}).get(field, [])


def test_public_constants() -> None:
    assert tuple(VALID) == PARTICIPANT_FIELDS
    assert GENDERS == ("male", "female", "neutral")
    assert STATES == (
        "before",
        "during",
        "paused",
        "resumed",
        "after",
        "finished",
        "did_not_finish",
        "disqualified",
        "did_not_start",
    )


def test_seed_participant_is_valid_and_typed() -> None:
    result = validate_participant(VALID, race_exists=in_scope)
    assert result.errors == {}
    assert result.values == {**VALID, "date_of_birth": dt.date(2001, 1, 1)}


def test_values_hold_only_present_fields_typed() -> None:
    data = {**VALID, "race_id": "2", "start_number": 12, "country_code": "NL"}
    del data["team_name"], data["gender"]
    data["state"] = None
    result = validate_participant(data, race_exists=in_scope)
    assert result.errors == {}
    assert "team_name" not in result.values and "gender" not in result.values
    assert result.values["state"] is None
    assert result.values["race_id"] == 2 and type(result.values["race_id"]) is int
    assert result.values["start_number"] == "12"
    assert result.values["country_code"] == "nl"


@pytest.mark.parametrize(
    ("field", "value", "messages"),
    [
        ("unique_id", None, ["The unique id field is required."]),
        ("first_name", 5, ["The first name field must be a string."]),
        (
            "unique_id",
            "a b",
            ["The unique id field must only contain letters, numbers, dashes, and underscores."],
        ),
        (
            "first_name",
            "x" * 101,
            ["The first name field must not be greater than 100 characters."],
        ),
        ("chip_code", "123456", ["The chip code field must be 7 characters."]),
        ("date_of_birth", "01-01-2001", ["The date of birth field must match the format Y-m-d."]),
        ("gender", "Male", ["The selected gender is invalid."]),
        ("state", "started", ["The selected state is invalid."]),
        ("race_id", "x", ["The race id field must be an integer."]),
        ("race_id", 3, ["The selected race id is invalid."]),
        (
            "country_code",
            "xx",
            ["The country code field must be a valid ISO 3166-1 alpha-2 country code."],
        ),
        ("team_name", "a\x00b", ["The team name field contains invalid characters."]),
    ],
)
def test_each_rule_message(field: str, value: Any, messages: list[str]) -> None:
    assert errors_of(**{field: value}) == {field: messages}


@pytest.mark.parametrize("empty", [None, "", " ", "\t\n", "\x00", " \x00\x0b ", [], {}])
@pytest.mark.parametrize("field", REQUIRED)
def test_required_fails_on_empty_and_skips_the_other_rules(field: str, empty: Any) -> None:
    attribute = field.replace("_", " ")
    assert errors_of(**{field: empty}) == {field: [f"The {attribute} field is required."]}


@pytest.mark.parametrize("field", REQUIRED)
def test_required_fails_on_absent(field: str) -> None:
    data = dict(VALID)
    del data[field]
    errors = validate_participant(data, race_exists=in_scope).errors
    assert errors == {field: [f"The {field.replace('_', ' ')} field is required."]}


def test_required_passes_false_and_zero() -> None:
    # Present, so the later rules judge them.
    assert field_errors("first_name", False) == ["The first name field must be a string."]
    assert field_errors("first_name", 0) == ["The first name field must be a string."]
    assert field_errors("race_id", 0) == ["The selected race id is invalid."]
    assert field_errors("race_id", False) == ["The race id field must be an integer."]


@pytest.mark.parametrize("blank", [None, "", "   ", "\t"])
@pytest.mark.parametrize("field", OPTIONAL)
def test_nullable_fields_skip_absent_null_and_blank(field: str, blank: Any) -> None:
    assert errors_of(**{field: blank}) == {}
    data = dict(VALID)
    del data[field]
    assert validate_participant(data, race_exists=in_scope).errors == {}


def test_nullable_field_with_empty_array_is_validated() -> None:
    assert field_errors("team_name", []) == ["The team name field must be a string."]
    assert field_errors("gender", []) == ["The selected gender is invalid."]
    assert field_errors("country_code", {}) == [
        "The country code field must be a valid ISO 3166-1 alpha-2 country code."
    ]


def test_every_failing_rule_is_reported_in_rule_order() -> None:
    assert field_errors("unique_id", "a b" * 40) == [
        "The unique id field must only contain letters, numbers, dashes, and underscores.",
        "The unique id field must not be greater than 100 characters.",
    ]
    assert field_errors("unique_id", True) == [
        "The unique id field must be a string.",
        "The unique id field must only contain letters, numbers, dashes, and underscores.",
    ]
    assert field_errors("chip_code", {"a": 1}) == [
        "The chip code field must be a string.",
        "The chip code field must be 7 characters.",
    ]
    assert field_errors("first_name", list(range(101))) == [
        "The first name field must be a string.",
        "The first name field must not be greater than 100 characters.",
    ]


def test_size_and_max_on_non_strings_follow_laravel_get_size() -> None:
    # No numeric rule on these fields: numbers are measured as strings, arrays by count.
    assert field_errors("chip_code", 1234567) == ["The chip code field must be a string."]
    assert field_errors("chip_code", list("abcdefg")) == ["The chip code field must be a string."]
    assert field_errors("first_name", 10**30) == ["The first name field must be a string."]


def test_fields_appear_in_rule_order() -> None:
    errors = validate_participant(
        {"race_id": "x", "gender": "x", "unique_id": "-"}, race_exists=in_scope
    ).errors
    assert list(errors) == [
        "first_name",
        "last_name",
        "date_of_birth",
        "start_number",
        "chip_code",
        "gender",
        "race_id",
    ]


@pytest.mark.parametrize("data", [None, [], [VALID], "text", 5])
def test_non_dict_data_validates_as_empty(data: Any) -> None:
    errors = validate_participant(data, race_exists=in_scope).errors
    assert list(errors) == list(REQUIRED)


@pytest.mark.parametrize("value", ["a", "A-b_9", "é", "日本", "½", "e\u0301", "٣", "-", "_"])
def test_alpha_dash_accepts_letters_marks_numbers_dash_underscore(value: str) -> None:
    assert field_errors("unique_id", value) == []
    assert field_errors("start_number", value) == []


@pytest.mark.parametrize("value", ["a b", "a.b", "😀", "a+b", "a/b", "a\u200bb", "1.5"])
def test_alpha_dash_refuses_others(value: str) -> None:
    message = "The start number field must only contain letters, numbers, dashes, and underscores."
    assert field_errors("start_number", value) == [message]


@pytest.mark.parametrize(
    ("value", "stored"),
    [(12, "12"), (-5, "-5"), (0, "0"), (12.0, "12"), (2**63 - 1, str(2**63 - 1))],
)
def test_start_number_numbers_pass_as_php_strings(value: Any, stored: str) -> None:
    result = validate_participant({**VALID, "start_number": value}, race_exists=in_scope)
    assert result.errors == {}
    assert result.values["start_number"] == stored


@pytest.mark.parametrize("value", [1.5, True, False, 1e20, 1e15, -0.5])
def test_start_number_floats_with_a_point_and_booleans_fail(value: Any) -> None:
    assert field_errors("start_number", value) == [
        "The start number field must only contain letters, numbers, dashes, and underscores."
    ]


def test_lengths_count_code_points() -> None:
    assert field_errors("chip_code", "ééééééé") == []
    assert field_errors("chip_code", "日本日本日本日") == []
    assert field_errors("chip_code", "e\u0301e\u0301e\u0301e") == []  # 7 code points
    assert field_errors("first_name", "é" * 100) == []
    assert field_errors("first_name", "é" * 101) == [
        "The first name field must not be greater than 100 characters."
    ]


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("2001-01-01", True),
        ("2000-02-29", True),
        ("0001-01-01", True),
        ("9999-12-31", True),
        ("2001-02-29", False),
        ("2001-1-1", False),
        ("2001-13-01", False),
        ("2001-00-10", False),
        ("2001-04-31", False),
        ("20010101", False),
        ("2001-01-01T00:00", False),
        ("٢٠٠١-٠١-٠١", False),
        ("0000-01-01", False),  # Laravel passes year 0; no Python date can hold it (ours)
        ("2001-01-01\n", False),
        (20010101, False),
        (["2001-01-01"], False),
    ],
)
def test_date_format(value: Any, valid: bool) -> None:
    expected = [] if valid else ["The date of birth field must match the format Y-m-d."]
    assert field_errors("date_of_birth", value) == expected


def test_date_of_birth_value_is_a_date() -> None:
    result = validate_participant({**VALID, "date_of_birth": "2000-02-29"}, race_exists=in_scope)
    assert result.values["date_of_birth"] == dt.date(2000, 2, 29)


@pytest.mark.parametrize("value", ["male", "female", "neutral"])
def test_gender_in(value: str) -> None:
    assert field_errors("gender", value) == []


@pytest.mark.parametrize("value", ["Male", "MALE", "m", "male ", 1, True, ["male"], {"a": "male"}])
def test_gender_in_is_exact(value: Any) -> None:
    assert field_errors("gender", value) == ["The selected gender is invalid."]


@pytest.mark.parametrize("value", STATES)
def test_every_state_passes(value: str) -> None:
    assert field_errors("state", value) == []


@pytest.mark.parametrize(
    ("value", "stored"), [("nl", "nl"), ("NL", "nl"), ("nL", "nl"), ("De", "de"), ("us", "us")]
)
def test_country_code_is_case_insensitive_and_stored_lower(value: str, stored: str) -> None:
    result = validate_participant({**VALID, "country_code": value}, race_exists=in_scope)
    assert result.errors == {}
    assert result.values["country_code"] == stored


@pytest.mark.parametrize("value", ["xx", "nld", "n", "\u212ae", "ＮＬ", 12, True, ["nl"]])
def test_country_code_refusals(value: Any) -> None:
    assert field_errors("country_code", value) == [
        "The country code field must be a valid ISO 3166-1 alpha-2 country code."
    ]


@pytest.mark.parametrize(
    ("value", "number"),
    [
        (1, 1),
        ("1", 1),
        ("+1", 1),
        ("-1", -1),
        (1.0, 1),
        (True, 1),
        ("0", 0),
        ("-0", 0),
        ("+0", 0),
        (-0.0, 0),
        (100.0, 100),
        (" 1 ", 1),
        ("\t2\n", 2),
        ("\v3\r", 3),
        ("9223372036854775807", 2**63 - 1),
        ("-9223372036854775808", -(2**63)),
        (2**63 - 1, 2**63 - 1),
        (-(2**63), -(2**63)),
        (99999999999999.0, 99999999999999),
    ],
)
def test_filter_validate_int_passes(value: Any, number: int) -> None:
    assert filter_validate_int(value) == number


@pytest.mark.parametrize(
    "value",
    [
        "01",
        "1.0",
        1.5,
        "1e3",
        False,
        None,
        [],
        [1],
        {},
        "",
        " ",
        "+",
        "-",
        "00",
        "-01",
        "0x1A",
        "1 2",
        "\f1",
        "1\x00",
        "٣",
        "１",
        "9223372036854775808",
        "-9223372036854775809",
        2**63,
        -(2**63) - 1,
        1e14,
        1e15,
        float("inf"),
        float("nan"),
        "1_000",
    ],
)
def test_filter_validate_int_fails(value: Any) -> None:
    assert filter_validate_int(value) is None


def test_race_exists_is_asked_only_about_valid_integers() -> None:
    asked: list[int] = []

    def record(race_id: int) -> bool:
        asked.append(race_id)
        return True

    for value in ["x", 1.5, None, "", [], False, "01"]:
        validate_participant({**VALID, "race_id": value}, race_exists=record)
    assert asked == []
    for value in [7, "8", True, 9.0, "+10"]:
        validate_participant({**VALID, "race_id": value}, race_exists=record)
    assert asked == [7, 8, 1, 9, 10]
    assert all(type(race_id) is int for race_id in asked)


def test_nul_rule() -> None:
    assert field_errors("first_name", "a\x00b") == [
        "The first name field contains invalid characters."
    ]
    assert field_errors("unique_id", "\x00") == ["The unique id field is required."]
    assert field_errors("gender", "\x00") == ["The gender field contains invalid characters."]
    assert field_errors("gender", "male\x00") == [
        "The selected gender is invalid.",
        "The gender field contains invalid characters.",
    ]
    assert field_errors("chip_code", "000000\x00") == [
        "The chip code field contains invalid characters."
    ]


def test_key_prefix_names_keys_and_attributes() -> None:
    result = validate_participant(
        {**VALID, "chip_code": "1"}, key_prefix="0.", race_exists=in_scope
    )
    assert result.errors == {"0.chip_code": ["The 0.chip code field must be 7 characters."]}


# --- Batches --------------------------------------------------------------------------------


def item(index: int, **changes: Any) -> dict[str, Any]:
    return {
        **VALID,
        "unique_id": f"u{index}",
        "chip_code": f"{index:07d}",
        "start_number": str(index),
        **changes,
    }


def test_batch_of_valid_items() -> None:
    values, errors = validate_participants([item(1), item(2)], race_exists=in_scope)
    assert errors == {}
    assert [value["unique_id"] for value in values] == ["u1", "u2"]
    assert values[0]["date_of_birth"] == dt.date(2001, 1, 1)


def test_batch_errors_are_keyed_by_index_in_item_order() -> None:
    items = [item(0, chip_code="1"), item(1), item(2, gender="x", race_id=9)]
    _, errors = validate_participants(items, race_exists=in_scope)
    assert errors == {
        "0.chip_code": ["The 0.chip code field must be 7 characters."],
        "2.gender": ["The selected 2.gender is invalid."],
        "2.race_id": ["The selected 2.race id is invalid."],
    }


def test_batch_duplicate_unique_id_is_an_error_on_later_items_only() -> None:
    items = [
        item(0, unique_id="a"),
        item(1, unique_id="b"),
        item(2, unique_id="a"),
        item(3, unique_id="a", first_name=None),
    ]
    _, errors = validate_participants(items, race_exists=in_scope)
    assert errors == {
        "2.unique_id": ["The 2.unique id field has a duplicate value."],
        "3.unique_id": ["The 3.unique id field has a duplicate value."],
        "3.first_name": ["The 3.first name field is required."],
    }


def test_batch_duplicate_comes_after_the_fields_other_errors() -> None:
    items = [item(0, unique_id="a b"), item(1, unique_id="a b")]
    _, errors = validate_participants(items, race_exists=in_scope)
    assert errors == {
        "0.unique_id": [
            "The 0.unique id field must only contain letters, numbers, dashes, and underscores."
        ],
        "1.unique_id": [
            "The 1.unique id field must only contain letters, numbers, dashes, and underscores.",
            "The 1.unique id field has a duplicate value.",
        ],
    }


def test_batch_duplicates_compare_exact_strings() -> None:
    items = [
        item(0, unique_id="A"),
        item(1, unique_id="a"),
        item(2, unique_id=1),
        item(3, unique_id="1"),
        item(4, unique_id="01"),
    ]
    _, errors = validate_participants(items, race_exists=in_scope)
    assert errors == {"2.unique_id": ["The 2.unique id field must be a string."]}


def test_batch_non_dict_items_fail_every_required_field() -> None:
    _, errors = validate_participants([item(0), 5], race_exists=in_scope)
    assert list(errors) == [f"1.{field}" for field in REQUIRED]


@pytest.mark.parametrize("body", [None, [], {}])
def test_batch_empty_body_is_required(body: Any) -> None:
    assert validate_participants(body, race_exists=in_scope) == (
        [],
        {"participants": ["The participants field is required."]},
    )


@pytest.mark.parametrize("body", [{"a": "1"}, VALID, "text", 5, True])
def test_batch_non_list_body_must_be_a_list(body: Any) -> None:
    assert validate_participants(body, race_exists=in_scope) == (
        [],
        {"participants": ["The participants field must be a list."]},
    )


# --- Messages and the 422 body ------------------------------------------------------------------


def test_taken_message() -> None:
    assert taken_message("chip_code") == "The chip code has already been taken."
    assert taken_message("start_number", "3.") == "The 3.start number has already been taken."


def test_error_response_body_summaries() -> None:
    one = {"chip_code": ["The chip code field must be 7 characters."]}
    assert error_response_body(one) == {
        "message": "The chip code field must be 7 characters.",
        "errors": one,
    }
    two = {"chip_code": ["A.", "B."]}
    assert error_response_body(two)["message"] == "A. (and 1 more error)"
    three = {"unique_id": ["A."], "race_id": ["B.", "C."]}
    assert error_response_body(three) == {"message": "A. (and 2 more errors)", "errors": three}
    assert error_response_body({})["message"] == "The given data was invalid."


def test_full_422_body_for_an_empty_request() -> None:
    body = error_response_body(validate_participant({}, race_exists=in_scope).errors)
    assert body["message"] == "The unique id field is required. (and 6 more errors)"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1"),
        (1.5, "1.5"),
        (0.1, "0.1"),
        (-0.0, "-0"),
        (0.0, "0"),
        (1e14, "1.0E+14"),
        (99999999999999.0, "99999999999999"),
        (1e-5, "1.0E-5"),
        (0.0001, "0.0001"),
        (1.5e300, "1.5E+300"),
        (1 / 3, "0.33333333333333"),
        (-2.5e-7, "-2.5E-7"),
        (123456789012.345, "123456789012.35"),
        (float("inf"), "INF"),
        (float("-inf"), "-INF"),
        (float(2**63), "9.2233720368548E+18"),
    ],
)
def test_php_float_string(value: float, text: str) -> None:
    assert php_float_string(value) == text


def test_fifty_thousand_valid_items_validate() -> None:
    """A full-size start list validates to typed values (its speed is bench/'s "batch")."""
    items = [item(index) for index in range(50_000)]
    races = {1}
    values, errors = validate_participants(items, race_exists=races.__contains__)
    assert errors == {}
    assert len(values) == 50_000
    assert values[-1]["unique_id"] == items[-1]["unique_id"]

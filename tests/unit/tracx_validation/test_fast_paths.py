"""The measured fast validation paths restate every Tracx rule; these properties hold them to
the rule-by-rule path on generated payloads.

- The single endpoint's per-field shortcuts (validate_participant) give exactly what the
  rules one by one give (validate_participant_by_rules): the same typed values and the same
  error bag, key order and message order included.
- A batch's unrolled whole-item shortcut (validate_participants) does the same, and a batch
  of one gives the single endpoint's row and its 422 messages without the `0.` key prefix
  (decision 19).
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from startline.dialects.tracx.participants import change_from, row_from
from startline.dialects.tracx.validation import (
    GENDERS,
    PARTICIPANT_FIELDS,
    STATES,
    ValidationResult,
    validate_participant,
    validate_participant_by_rules,
    validate_participants,
)

RACES = frozenset({1, 2, 3})
race_exists = RACES.__contains__

# Strings near every rule's edges: blanks, NUL, lengths 7 and 100, dates, numbers, cases.
EDGE_STRINGS = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "a\x00",
        "\t\n",
        "a b",
        "a-b_c",
        "é",
        "e\u0301",
        "½",
        "😀",
        "1",
        "01",
        "+1",
        "-1",
        "1.0",
        " 1 ",
        "1e3",
        "9223372036854775807",
        "9223372036854775808",
        "0000001",
        "ééééééé",
        "000000",
        "00000001",
        "2001-01-01",
        "2001-02-29",
        "2000-02-29",
        "2001-1-01",
        "0000-01-01",
        "٢٠٠١-٠١-٠١",
        "nl",
        "NL",
        "nL",
        "xx",
        "\u212ae",
        "male",
        "Male",
        "finished",
        "BEFORE",
        "a" * 100,
        "a" * 101,
        "é" * 100,
        "é" * 101,
    ]
)
TEXTS = st.one_of(
    EDGE_STRINGS,
    st.text(max_size=12),
    st.text(alphabet="abcXYZ019-_ .\t\x00é½\u0660", min_size=1, max_size=110),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.sampled_from([0, 1, 2, 3, 4, -1, 2**63 - 1, -(2**63)]),
    st.floats(allow_nan=False),
    st.sampled_from([1.0, 2.0, 1.5, 12.0, 1e15, float("inf")]),
    TEXTS,
)
# Edge strings get their own branch so that every one of them is drawn often.
ANY_VALUE = st.one_of(
    EDGE_STRINGS,
    SCALARS,
    st.lists(SCALARS, max_size=2),
    st.dictionaries(st.sampled_from(["a", "0"]), SCALARS, max_size=2),
)
ALNUM = st.text(alphabet="abcXYZ0189-_", min_size=1, max_size=100)
# A valid participant with its optional fields present, null or absent.
ABSENT = object()
VALID_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "unique_id": ALNUM,
    "first_name": st.text(alphabet="Krisé -'\u00e5日", min_size=1, max_size=100).filter(str.strip),
    "last_name": st.sampled_from(["Kuiper", "de Vries", "Ødegård"]),
    "country_code": st.sampled_from(["nl", "NL", "Be", None, ABSENT]),
    "team_name": st.sampled_from(["Fast", None, ABSENT]),
    "date_of_birth": st.dates()
    .map(lambda day: day.isoformat())
    .filter(lambda text: len(text) == 10),
    "start_number": st.one_of(ALNUM, st.integers(min_value=0, max_value=10**6)),
    "chip_code": st.text(alphabet="0123456789ABC", min_size=7, max_size=7),
    "gender": st.sampled_from([*GENDERS, None, ABSENT]),
    "state": st.sampled_from([*STATES, None, ABSENT]),
    "race_id": st.sampled_from([1, 2, 3]),
}


@st.composite
def payloads(draw: st.DrawFn) -> dict[str, Any]:
    """A valid participant, then up to four fields replaced by anything or removed."""
    data = {name: draw(strategy) for name, strategy in VALID_FIELDS.items()}
    data = {name: value for name, value in data.items() if value is not ABSENT}
    changed = draw(st.lists(st.sampled_from([*PARTICIPANT_FIELDS, "extra"]), max_size=4))
    for name in changed:
        if draw(st.integers(min_value=0, max_value=4)) == 0:
            data.pop(name, None)
        else:
            data[name] = draw(ANY_VALUE)
    return data


def ordered(result: ValidationResult) -> tuple[list[Any], list[Any]]:
    """Values and errors with their order: Laravel's error bag is ordered."""
    return list(result.values.items()), list(result.errors.items())


def without_index_prefix(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """A batch item's errors as the single endpoint words them: `0.chip_code` -> `chip_code`,
    "The 0.chip code field ..." -> "The chip code field ..."."""
    unprefixed = {}
    for key, messages in errors.items():
        assert key.startswith("0."), key
        field = key.removeprefix("0.")
        attribute = field.replace("_", " ")
        unprefixed[field] = [message.replace(f"0.{attribute}", attribute) for message in messages]
    return unprefixed


SETTINGS = settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(payloads())
@example({})
@example({"race_id": "1", "start_number": 12.0, "unique_id": "a\x00"})
def test_single_fast_path_gives_what_the_rules_give(data: dict[str, Any]) -> None:
    fast = validate_participant(data, race_exists=race_exists)
    rules = validate_participant_by_rules(data, race_exists=race_exists)
    assert ordered(fast) == ordered(rules)


@SETTINGS
@given(payloads())
@example({"race_id": 4, "unique_id": " ", "first_name": "a" * 101})
def test_batch_fast_path_gives_what_the_rules_give(data: dict[str, Any]) -> None:
    values, errors = validate_participants([data], race_exists=race_exists)
    rules = validate_participant_by_rules(data, key_prefix="0.", race_exists=race_exists)
    assert (list(values[0].items()), list(errors.items())) == ordered(rules)


@SETTINGS
@given(payloads())
def test_a_batch_of_one_is_the_single_endpoint(data: dict[str, Any]) -> None:
    values, errors = validate_participants([data], race_exists=race_exists)
    single = validate_participant(data, race_exists=race_exists)
    assert values[0] == single.values
    assert list(without_index_prefix(errors).items()) == list(single.errors.items())
    if not errors:
        assert row_from(values[0]) == change_from(single.values).as_row()


def test_the_generator_reaches_both_outcomes() -> None:
    """Guards the properties above: payloads must be valid often and invalid often."""
    outcomes: set[bool] = set()

    @settings(max_examples=200, database=None)
    @given(payloads())
    def collect(data: dict[str, Any]) -> None:
        outcomes.add(bool(validate_participant(data, race_exists=race_exists).errors))

    collect()
    assert outcomes == {True, False}

"""Which column is which: the four families' names, the columns ignored and the ones refused."""

import pytest

from startline.startlists.headers import HeaderRefused, normalize, plan_header


def fields(header, **options):
    plan = plan_header(header, **options)
    return {c.name: c.field for c in plan.columns}, plan.warnings


def test_names_match_ignoring_case_spaces_and_punctuation():
    assert normalize("Bib #") == normalize("bib") == normalize("BIB")
    assert normalize(" Date of Birth ") == normalize("date_of_birth") == normalize("DateOfBirth")


def test_the_startline_family():
    header = [
        "unique_id", "start_number", "chip_code", "first_name", "last_name", "date_of_birth",
        "gender", "country_code", "team_name", "state", "event",
    ]  # fmt: skip
    found, warnings = fields(header)
    assert list(found.values()) == header[:-1] + ["event"] and warnings == []


def test_the_runsignup_family():
    header = ["registration_id", "bib_num", "chip_num", "first_name", "last_name", "dob",
              "gender", "event_id", "email", "city", "state"]  # fmt: skip
    found, warnings = fields(header)
    assert found == {
        "registration_id": "unique_id",
        "bib_num": "start_number",
        "chip_num": "chip_code",
        "first_name": "first_name",
        "last_name": "last_name",
        "dob": "date_of_birth",
        "gender": "gender",
        "event_id": "event",
    }
    assert '"email" is not stored by startline; ignored' in warnings
    # Without a unique_id column, `state` is an address region.
    assert any(w.startswith('"state" is read as an address region') for w in warnings)


def test_the_race_result_family():
    header = ["ID", "Bib", "Firstname", "Lastname", "DateOfBirth", "Gender", "Nation",
              "Contest", "Transponder1", "Club", "Status", "Country", "YearOfBirth"]  # fmt: skip
    found, warnings = fields(header)
    assert found == {
        "ID": "unique_id",
        "Bib": "start_number",
        "Firstname": "first_name",
        "Lastname": "last_name",
        "DateOfBirth": "date_of_birth",
        "Gender": "gender",
        "Nation": "country_code",
        "Contest": "event",
        "Transponder1": "chip_code",
        "Club": "team_name",
        "Status": "status",
    }
    # Beside Nation, Country is the address.
    assert '"Country" is not stored by startline; ignored' in warnings


def test_the_opensplittime_family():
    header = ["First Name", "Last Name", "Gender", "Birthdate", "Age", "Email", "Phone",
              "City", "State", "Country", "Bib Number", "Event Name"]  # fmt: skip
    found, _ = fields(header)
    assert found == {
        "First Name": "first_name",
        "Last Name": "last_name",
        "Gender": "gender",
        "Birthdate": "date_of_birth",
        "Country": "country_code",
        "Bib Number": "start_number",
        "Event Name": "event",
    }
    assert fields(["First", "Last", "Sex", "Bib #"])[0] == {
        "First": "first_name",
        "Last": "last_name",
        "Sex": "gender",
        "Bib #": "start_number",
    }


def test_state_is_the_runner_state_in_a_tracx_file():
    found, _ = fields(["unique_id", "first_name", "last_name", "State"])
    assert found["State"] == "state"


def test_unknown_columns_are_all_named_unless_ignored():
    with pytest.raises(HeaderRefused) as refused:
        plan_header(["first_name", "last_name", "Shoe size", "Favourite color"])
    assert refused.value.problems == [
        'unknown columns "Shoe size" (column 3), "Favourite color" (column 4) (rename to a '
        "known column, or --ignore-unknown to skip)"
    ]
    found, warnings = fields(["first_name", "last_name", "Shoe size"], ignore_unknown=True)
    assert "Shoe size" not in found and warnings == ['unknown column "Shoe size" ignored']


def test_a_reason_column_is_always_ignored():
    found, warnings = fields(["reason", "first_name", "last_name"])
    assert "reason" not in found and warnings == []


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (["Bib", "bib_num", "First", "Last"], '"Bib" and "bib_num" are both start_number'),
        (["first_name", "Bib"], "needs the other too: add last_name"),
        (["a", "b"], 'no known column in the header \\("a", "b"\\): is the first line'),
        (["Ann", "Lee", "12"], "no known column"),
    ],
)
def test_headers_that_cannot_be_imported(header, problem):
    with pytest.raises(HeaderRefused, match=problem):
        plan_header(header)


def test_match_bib_needs_a_bib_and_ignores_the_key_column():
    with pytest.raises(HeaderRefused, match="--match bib needs a bib column"):
        plan_header(["unique_id", "chip_code"], match="bib")
    found, warnings = fields(["unique_id", "Bib", "chip_code"], match="bib")
    assert found == {"Bib": "start_number", "chip_code": "chip_code"}
    assert warnings == ['"unique_id" ignored: --match bib finds runners by their bib']


def test_ten_thousand_unknown_columns_make_one_bounded_message():
    with pytest.raises(HeaderRefused) as refused:
        plan_header(["first_name", "last_name", *(f"c{i}" for i in range(10_000))])
    (problem,) = refused.value.problems
    assert "and 9980 more" in problem and len(problem) < 1000


def test_unnamed_columns_are_ignored_and_only_inner_ones_mentioned():
    found, warnings = fields(["first_name", "", "last_name", "", ""])
    assert found == {"first_name": "first_name", "last_name": "last_name"}
    assert warnings == ["column 2 has no name; ignored"]

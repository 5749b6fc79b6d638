"""Reading one cell: dates, genders, countries, states and RACE RESULT status codes."""

from datetime import date

import pytest

from startline.startlists.values import (
    DateFormat,
    Refused,
    parse_country,
    parse_gender,
    parse_state,
    parse_status,
    text_parser,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1990-02-03", date(1990, 2, 3)),
        ("1990-2-3", date(1990, 2, 3)),
        ("1990-02-03 00:00:00", date(1990, 2, 3)),  # a spreadsheet's date cell
        ("03.02.1990", date(1990, 2, 3)),
        ("3.2.1990", date(1990, 2, 3)),
        ("02/03/1990", date(1990, 2, 3)),  # slashes are month first
        ("12/31/1990", date(1990, 12, 31)),
    ],
)
def test_dates_in_the_three_orders(raw, expected):
    assert DateFormat()(raw) == expected


@pytest.mark.parametrize("raw", ["31/12/1990", "1990-02-30", "29.02.1991"])
def test_impossible_days_are_refused(raw):
    with pytest.raises(Refused, match="no such day"):
        DateFormat()(raw)


@pytest.mark.parametrize(
    "raw", ["3rd Feb 1990", "90-02-03", "03.02.90", "1990", "1990-02-03T12:00"]
)
def test_other_forms_are_refused_with_the_accepted_ones(raw):
    with pytest.raises(Refused, match="YYYY-MM-DD, DD.MM.YYYY or MM/DD/YYYY"):
        DateFormat()(raw)


def test_a_date_format_decides_its_separator_and_iso_still_reads():
    day_first = DateFormat("DD/MM/YYYY")
    assert day_first("31/12/1990") == date(1990, 12, 31)
    assert day_first("1990-12-31") == date(1990, 12, 31)
    assert day_first("31.12.1990") == date(1990, 12, 31)
    with pytest.raises(Refused, match="no such day"):
        day_first("12/31/1990")
    with pytest.raises(Refused, match="YYYY-MM-DD, DD.MM.YYYY or DD/MM/YYYY"):
        day_first("31/12/90")
    assert DateFormat("yyyy/mm/dd")("1990/12/31") == date(1990, 12, 31)


@pytest.mark.parametrize("pattern", ["DD/MM/YY", "DD/MM-YYYY", "DD/DD/YYYY", "%d/%m/%Y", ""])
def test_a_bad_date_format_is_refused(pattern):
    with pytest.raises(ValueError, match="not a date format"):
        DateFormat(pattern)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("M", "male"),
        ("f", "female"),
        ("X", "neutral"),
        ("Male", "male"),
        ("female", "female"),
        ("neutral", "neutral"),
        ("m", "male"),
        ("w", "female"),
        ("d", "neutral"),
        ("Woman", "female"),
        ("Non-Binary", "neutral"),
    ],
)
def test_genders(raw, expected):
    assert parse_gender(raw) == expected


@pytest.mark.parametrize("raw", ["q", "männer", "1"])
def test_unknown_genders_are_refused(raw):
    with pytest.raises(Refused, match="not a gender: use M, F or X"):
        parse_gender(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("DE", "DE"),
        ("nl", "nl"),  # an ISO code keeps its case (as Tracx stores it)
        ("DEU", "DE"),
        ("deu", "DE"),
        ("GER", "DE"),  # IOC
        ("NED", "NL"),
        ("SUI", "CH"),
        ("Germany", "DE"),
        ("netherlands", "NL"),
        ("United States", "US"),
        ("BRN", "BN"),  # ISO's Brunei, not the IOC's Bahrain
    ],
)
def test_countries(raw, expected):
    assert parse_country(raw) == expected


@pytest.mark.parametrize("raw", ["XX", "Atlantis", "ÄÖ", "D"])
def test_unknown_countries_are_refused(raw):
    with pytest.raises(Refused, match="not a country"):
        parse_country(raw)


def test_states_and_race_result_status_codes():
    assert parse_state("did_not_finish") == "did_not_finish"
    assert parse_state("Finished") == "finished"
    with pytest.raises(Refused, match="not a state: use one of before, during"):
        parse_state("DNF")
    assert [parse_status(code) for code in ("2", "3", "4", "5")] == [
        "disqualified",
        "did_not_finish",
        "did_not_start",
        "did_not_start",
    ]
    assert parse_status("0") is None and parse_status("1") is None
    assert parse_status("OK") is None  # anything else keeps the stored state


def test_text_follows_the_domain_rules():
    name = text_parser("first_name")
    assert name("Zoë") == "Zoë"
    assert name("漢字" * 50) == "漢字" * 50
    with pytest.raises(Refused, match="longer than 100 characters"):
        name("x" * 101)
    with pytest.raises(Refused, match="control character"):
        name("a\x7fb")
    with pytest.raises(Refused, match="line break"):
        name("Anna\nMaria")
    with pytest.raises(Refused, match="longer than 32 characters"):
        text_parser("chip_code")("0" * 33)

"""Importing start lists into the database: files as people make them, strict and partial
imports, dry runs, modes and match keys, the rejects file, and what reaches the journal."""

from __future__ import annotations

import codecs
import io
from datetime import date

import pytest

from startline.startlists.importing import ImportOptions, ImportRefused
from startline.startlists.rejects import write_rejects
from tests.support.world import RacesWorld, build_races_world
from tests.unit.startlists.support import journal_size, run_import, runners


@pytest.fixture
def world(db) -> RacesWorld:
    return build_races_world(db)


def names(db, edition_id):
    return sorted((r["first_name"], r["last_name"]) for r in runners(db, edition_id).values())


# --- files as people make them -------------------------------------------------------------


def test_excel_utf8_with_bom_and_semicolons(db, world):
    data = (
        codecs.BOM_UTF8
        + (
            "unique_id;first_name;last_name;date_of_birth;gender;country_code;start_number;event\r\n"
            "r1;Jörg;Müller;03.02.1990;m;GER;007;10K\r\n"
            "r2;Zoë;Ødegård;12/31/1985;w;Norway;012;half marathon\r\n"
        ).encode()
    )
    report = run_import(db, data, world.edition_a1)
    assert (report.rows, report.created, report.refused, report.errors) == (2, 2, 0, [])
    assert (report.encoding, report.delimiter) == ("utf-8", ";")
    stored = runners(db, world.edition_a1)
    assert stored["r1"]["first_name"] == "Jörg" and stored["r1"]["start_number"] == "007"
    assert stored["r1"]["date_of_birth"] == date(1990, 2, 3)
    assert (stored["r1"]["gender"], stored["r1"]["country_code"]) == ("male", "DE")
    assert stored["r2"]["event_id"] == world.event_a1_half
    assert stored["r2"]["date_of_birth"] == date(1985, 12, 31)
    assert {r["origin"] for r in stored.values()} == {"csv"}


def test_utf16_tab_delimited(db, world):
    text = "First Name\tLast Name\tBib Number\tEvent Name\r\nØyvind\t漢字\t0042\t10K\r\n"
    report = run_import(db, codecs.BOM_UTF16_LE + text.encode("utf-16-le"), world.edition_a1)
    assert (report.created, report.encoding, report.delimiter) == (1, "utf-16", "\t")
    (runner,) = runners(db, world.edition_a1).values()
    assert (runner["first_name"], runner["last_name"], runner["start_number"]) == (
        "Øyvind",
        "漢字",
        "0042",
    )


def test_cp1252_file_with_umlauts(db, world):
    data = "Vorname;Nachname\r\n".encode("cp1252")  # not known: the header below is
    data = "first_name;last_name;team_name\r\nJürgen;Weiß;Läufer Köln\r\n".encode("cp1252")
    report = run_import(db, data, world.edition_a1, event="10K")
    assert (report.created, report.encoding) == (1, "cp1252")
    assert names(db, world.edition_a1) == [("Jürgen", "Weiß")]


def test_quoted_fields_with_newlines_and_blank_lines(db, world):
    data = (
        "first_name,last_name,City,start_number\n"
        '"Ann","Lee","Main St 1\nSpringfield",1\n'
        "\n"
        "\n"
        "Bo,Ek,,2\n"
        'Cy,"Li\nPo",,3\n'
    )
    report = run_import(db, data, world.edition_a1, event="10K")
    assert report.rows == 3 and report.created == 0
    # Line numbers after a multi-line record and blank lines are the file's.
    (error,) = report.errors
    assert (error.line, error.column, error.value) == (7, "last_name", "Li\nPo")
    assert error.reason == "contains a line break (a control character)"
    assert '"City" is not stored by startline; ignored' in report.warnings
    report = run_import(db, data.replace('"Li\nPo"', "Po"), world.edition_a1, event="10K")
    assert report.created == 3


def test_race_result_headers(db, world):
    data = (
        "ID;Bib;Firstname;Lastname;DateOfBirth;Gender;Nation;Contest;Transponder1;Club;Status;"
        "Email\n"
        "1;1;Anna;Berg;1990-01-01;f;NED;10K;AB12345;LV Köln;0;a@example.com\n"
        "2;2;Carl;Dahl;1991-01-01;m;SUI;Half marathon;CD12345;;3;\n"
    )
    report = run_import(db, data, world.edition_a1)
    assert report.created == 2 and report.errors == []
    stored = runners(db, world.edition_a1)
    assert stored["1"]["country_code"] == "NL" and stored["1"]["chip_code"] == "AB12345"
    assert stored["1"]["team_name"] == "LV Köln" and stored["1"]["state"] == "before"
    assert stored["2"]["state"] == "did_not_finish" and stored["2"]["team_name"] is None
    # Status 0 keeps a state set since; 2 disqualifies.
    run_import(db, data.replace(";3;\n", ";2;\n"), world.edition_a1)
    assert runners(db, world.edition_a1)["2"]["state"] == "disqualified"


def test_opensplittime_headers(db, world):
    data = (
        "First Name,Last Name,Gender,Birthdate,Age,Email,Phone,City,State,Country,Bib Number,"
        "Event Name\n"
        "Ann,Lee,Female,1990-05-01,35,a@example.com,555,Boulder,CO,United States,101,10K\n"
    )
    report = run_import(db, data, world.edition_a1)
    assert report.created == 1 and report.errors == []
    (runner,) = runners(db, world.edition_a1).values()
    assert (runner["gender"], runner["country_code"], runner["state"]) == ("female", "US", "before")
    assert runner["unique_id"] == f"sl-{runner['id']}"  # no key column: a derived id


def test_a_semicolon_file_never_becomes_one_column(db, world):
    data = "first_name;last_name;start_number\nAnn;Lee;1\n"
    assert run_import(db, data, world.edition_a1, event="10K").created == 1
    with pytest.raises(ImportRefused, match="looks semicolon-delimited"):
        run_import(db, data, world.edition_a1, event="10K", delimiter=",")


# --- errors on several lines -----------------------------------------------------------------

MIXED = (
    "unique_id,first_name,last_name,start_number,chip_code,date_of_birth,event\n"
    "r1,Ann,Lee,1,C1,1990-01-01,10K\n"  # good
    "r2,Bo,,2,C2,1990-01-01,10K\n"  # line 3: empty last name
    "r3,Cy,Li,3,C3,31.02.1990,10K\n"  # line 4: no such day
    "r4,Di,Ma,1,C4,1990-01-01,10K\n"  # line 5: bib 1 is r1's
    "r5,Ed,No,5,C5,1990-01-01,5K\n"  # line 6: no such event in this edition
    "r6,Fa,Ou,6,C6,,Half marathon\n"  # good
)


def test_strict_writes_nothing_and_reports_every_line(db, world):
    before = journal_size(db)
    report = run_import(db, MIXED, world.edition_a1)
    assert not report.written and (report.created, report.updated) == (0, 0)
    assert (report.rows, report.refused) == (6, 4)
    assert [(e.line, e.column, e.value) for e in report.errors] == [
        (3, "last_name", ""),
        (4, "date_of_birth", "31.02.1990"),
        (5, "start_number", "1"),
        (6, "event", "5K"),
    ]
    assert report.errors[2].reason.startswith("already taken by another runner")
    assert runners(db, world.edition_a1) == {} and journal_size(db) == before


def test_partial_writes_exactly_the_good_rows(db, world):
    report = run_import(db, MIXED, world.edition_a1, partial=True)
    assert report.written and (report.created, report.refused) == (2, 4)
    assert sorted(runners(db, world.edition_a1)) == ["r1", "r6"]


def test_the_rejects_file_reimports_cleanly_once_fixed(db, world, tmp_path):
    options = ImportOptions(edition_id=world.edition_a1, partial=True)
    report = run_import(db, MIXED, world.edition_a1, partial=True)
    out = tmp_path / "rejects.csv"
    with out.open("w", encoding="utf-8", newline="") as handle:
        assert write_rejects(io.BytesIO(MIXED.encode()), options, report, handle) == 4
    text = out.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "reason," + MIXED.splitlines()[0]
    assert lines[1] == "last_name: must not be empty,r2,Bo,,2,C2,1990-01-01,10K"
    assert lines[2].startswith('"date_of_birth ""31.02.1990"": no such day')
    fixed = (
        text.replace("r2,Bo,,", "r2,Bo,Ek,")
        .replace("31.02.1990", "28.02.1990")
        .replace("r4,Di,Ma,1,", "r4,Di,Ma,4,")
        .replace(",5K", ",10K")
    )
    again = run_import(db, fixed.encode("utf-8-sig"), world.edition_a1)
    assert (again.created, again.refused, again.errors) == (4, 0, [])
    assert sorted(runners(db, world.edition_a1)) == ["r1", "r2", "r3", "r4", "r5", "r6"]


def test_a_strict_rejects_file_holds_every_row(db, world, tmp_path):
    options = ImportOptions(edition_id=world.edition_a1)
    report = run_import(db, MIXED, world.edition_a1)
    out = io.StringIO(newline="")
    assert write_rejects(io.BytesIO(MIXED.encode()), options, report, out) == 6
    assert "import is all or nothing" in out.getvalue().splitlines()[1]


def test_a_dry_run_counts_exactly_and_writes_nothing(db, world):
    good = MIXED.splitlines()[0] + "\n" + MIXED.splitlines()[1] + "\n"
    run_import(db, good, world.edition_a1)
    before, journal = runners(db, world.edition_a1), journal_size(db)
    data = good.replace(",C1,", ",C9,") + "r7,Gi,Pa,7,C7,,10K\n"
    report = run_import(db, data, world.edition_a1, dry_run=True)
    assert (report.created, report.updated, report.unchanged) == (1, 1, 0)
    assert report.dry_run and not report.written
    assert runners(db, world.edition_a1) == before and journal_size(db) == journal


# --- modes, match keys, no-ops and the journal -------------------------------------------------


def test_modes(db, world):
    first = "unique_id,first_name,last_name,event\nr1,Ann,Lee,10K\n"
    assert run_import(db, first, world.edition_a1, mode="update").errors[0].reason == (
        "no runner with this unique_id in the edition"
    )
    assert run_import(db, first, world.edition_a1, mode="add").created == 1
    report = run_import(db, first.replace("Lee", "Lo"), world.edition_a1, mode="add")
    assert report.errors[0].reason.startswith("already in the edition")
    assert run_import(db, first.replace("Lee", "Lo"), world.edition_a1, mode="update").updated == 1


def test_match_bib_updates_runners_found_by_bib(db, world):
    first = "unique_id,first_name,last_name,Bib,event\nr1,Ann,Lee,101,10K\n"
    run_import(db, first, world.edition_a1)
    data = "Bib,Transponder1,Status\n101,AB1,3\n999,ZZ9,0\n"
    report = run_import(db, data, world.edition_a1, match="bib", partial=True)
    assert (report.updated, report.refused) == (1, 1)
    assert report.errors[0].reason == "no runner with this bib in the edition"
    runner = runners(db, world.edition_a1)["r1"]
    assert (runner["chip_code"], runner["state"]) == ("AB1", "did_not_finish")
    with pytest.raises(ImportRefused, match="--match bib only finds existing runners"):
        run_import(db, data, world.edition_a1, match="bib", mode="add")


def test_an_import_that_changes_nothing_counts_unchanged_and_journals_nothing(db, world):
    data = "unique_id,first_name,last_name,start_number,event\nr1,Ann,Lee,1,10K\nr2,Bo,Ek,2,10K\n"
    run_import(db, data, world.edition_a1)
    before, journal = runners(db, world.edition_a1), journal_size(db)
    report = run_import(db, data, world.edition_a1)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert runners(db, world.edition_a1) == before and journal_size(db) == journal


def test_an_import_is_one_journal_batch(db, world):
    from sqlalchemy import select

    from startline.domain.changes.models import Change

    data = "unique_id,first_name,last_name,event\nr1,Ann,Lee,10K\nr2,Bo,Ek,10K\n"
    run_import(db, data, world.edition_a1)
    with db.reading() as session:
        entries = session.execute(select(Change.type, Change.batch_id)).all()
    assert sorted(t for t, _ in entries) == ["participant.created", "participant.created"]
    assert len({b for _, b in entries}) == 1 and entries[0][1] is not None


def test_swaps_are_judged_on_the_state_after_the_file(db, world):
    data = "unique_id,first_name,last_name,Bib,event\nr1,Ann,Lee,1,10K\nr2,Bo,Ek,2,10K\n"
    run_import(db, data, world.edition_a1)
    swapped = data.replace("Lee,1", "Lee,2").replace("Ek,2", "Ek,1")
    assert run_import(db, swapped, world.edition_a1).updated == 2
    stored = runners(db, world.edition_a1)
    assert (stored["r1"]["start_number"], stored["r2"]["start_number"]) == ("2", "1")


def test_a_key_listed_twice_and_an_event_option(db, world):
    data = "unique_id,first_name,last_name\nr1,Ann,Lee\nr1,Ann,Lo\n"
    report = run_import(db, data, world.edition_a1, event=str(world.event_a1_half))
    assert [(e.line, e.column, e.reason) for e in report.errors] == [
        (3, "unique_id", "listed twice in this file")
    ]
    report = run_import(db, data, world.edition_a1)
    assert {e.reason for e in report.errors} >= {
        "a new runner needs an event: an event column or --event"
    }
    with pytest.raises(ImportRefused, match="--event '5K' is not an event of edition"):
        run_import(db, data, world.edition_a1, event="5K")


def test_empty_cells_clear_and_absent_columns_keep(db, world):
    full = (
        "unique_id,first_name,last_name,team_name,chip_code,state,event\n"
        "r1,Ann,Lee,Club,C1,during,10K\n"
    )
    run_import(db, full, world.edition_a1)
    fewer = "unique_id,first_name,last_name,team_name,state\nr1,Ann,Lee,,\n"
    run_import(db, fewer, world.edition_a1)
    runner = runners(db, world.edition_a1)["r1"]
    assert runner["team_name"] is None  # an empty cell clears
    assert runner["chip_code"] == "C1" and runner["event_id"] == world.event_a1_10k  # absent: kept
    assert runner["state"] == "during"  # an empty state keeps the state


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x01\x02\xff" * 1000, "not a text file"),
        (b"first_name,last_name\n", r"has a header \(line 1\) but no rows"),
        (b"", "the file is empty"),
    ],
)
def test_files_that_import_nothing(db, world, data, message):
    with pytest.raises(ImportRefused, match=message):
        run_import(db, data, world.edition_a1)
    assert runners(db, world.edition_a1) == {}


def test_a_row_with_ten_thousand_columns(db, world):
    data = "first_name,last_name,event\nAnn,Lee,10K\n" + ",".join(["x"] * 10_000) + "\n"
    report = run_import(db, data, world.edition_a1)
    (error,) = report.errors
    assert (error.line, error.column, error.value) == (3, None, None)
    assert error.reason.startswith("10,000 fields where the header has 3")
    assert runners(db, world.edition_a1) == {}


def test_no_such_edition(db, world):
    with pytest.raises(ImportRefused, match="no edition 999"):
        run_import(db, "first_name,last_name\nA,B\n", 999)


def test_trailing_delimiters_in_the_header_or_the_rows(db, world):
    data = "first_name;last_name;event;;\nAnn;Lee;10K\nBo;Ek;10K;;\nCy;Li;10K;;;;\nDi;Ma\n"
    report = run_import(db, data, world.edition_a1)
    (error,) = report.errors
    assert (error.line, error.reason) == (5, "2 fields where the header has 5")
    assert run_import(db, data.replace("Di;Ma\n", ""), world.edition_a1).created == 3

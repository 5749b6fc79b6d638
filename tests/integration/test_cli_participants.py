"""`startline participants import|export|delete` through the real `startline` command, with
files as people make them: what is written, what is refused (every line, exit code 2, nothing
written unless --partial), rejects files that import again once fixed, dry runs, round trips,
the change journal (imports only), and removing one runner (journaled as
participant.deleted; a mistake is one line and changes nothing)."""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from startline.domain.changes.models import Change
from tests.integration.test_cli_mistakes import one_line_error
from tests.support.startline_command import run_in_terminal, run_startline
from tests.support.world import StartWorld, add_runners, build_start_world, runner
from tests.unit.startlists.support import runners

EXIT_REFUSED = 2


@pytest.fixture
def world(db) -> StartWorld:
    return build_start_world(db)


@pytest.fixture
def startline(cli_env):
    def run(*args: str):
        return run_startline(*args, env=cli_env)

    return run


def write(tmp_path: Path, name: str, data: bytes | str) -> str:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return str(path)


def journal(db) -> list[tuple[str, int | None]]:
    with db.reading() as session:
        return [
            (entry.type, entry.batch_id)
            for entry in session.execute(select(Change).order_by(Change.position)).scalars()
        ]


def report_of(result) -> dict:
    assert "Traceback" not in result.stderr, result.stderr
    return json.loads(result.stdout)


# --- files as people make them -------------------------------------------------------------


def test_a_semicolon_file_from_german_excel(startline, db, world, tmp_path):
    data = codecs.BOM_UTF8 + (
        b"Vorname;Nachname;Geburtsdatum\r\n"  # not a header we know: a first try fails
    )
    one_line_error(
        startline(
            "participants",
            "import",
            write(tmp_path, "de.csv", data),
            "--edition",
            str(world.edition_1),
        ),
        "no known column",
    )
    data = (
        codecs.BOM_UTF8
        + (
            "unique_id;first_name;last_name;date_of_birth;gender;country_code;start_number;event\r\n"
            "r1;Jörg;Müller;03.02.1990;m;GER;007;10K\r\n"
            "r2;Zoë;Weiß;12/31/1985;w;Norway;012;5K\r\n"
        ).encode()
    )
    path = write(tmp_path, "excel.csv", data)
    result = startline("participants", "import", path, "--edition", str(world.edition_1))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("imported ") and "(utf-8, delimiter ;)" in lines[0]
    assert "  created    2" in lines and lines[-1] == "Imported."
    stored = runners(db, world.edition_1)
    assert (stored["r1"]["first_name"], stored["r1"]["start_number"]) == ("Jörg", "007")
    assert stored["r1"]["date_of_birth"] == date(1990, 2, 3)
    assert (stored["r1"]["country_code"], stored["r2"]["country_code"]) == ("DE", "NO")
    assert stored["r2"]["event_id"] == world.event_5k and stored["r2"]["gender"] == "female"


def test_a_utf16_tab_file_with_a_bom(startline, db, world, tmp_path):
    text = "First Name\tLast Name\tBib Number\tEvent Name\r\nØyvind\t漢字\t0042\t10K\r\n"
    path = write(tmp_path, "unicode.txt", codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    report = report_of(
        startline("participants", "import", path, "--edition", str(world.edition_1), "--json")
    )
    assert (report["created"], report["encoding"], report["delimiter"]) == (1, "utf-16", "\t")
    (stored,) = runners(db, world.edition_1).values()
    assert (stored["first_name"], stored["last_name"], stored["start_number"]) == (
        "Øyvind",
        "漢字",
        "0042",
    )


def test_a_cp1252_file_with_umlauts(startline, db, world, tmp_path):
    data = "first_name,last_name,team_name\r\nJürgen,Weiß,Läufer Köln\r\n".encode("cp1252")
    path = write(tmp_path, "ansi.csv", data)
    args = ("participants", "import", path, "--edition", str(world.edition_1), "--event", "10K")
    report = report_of(startline(*args, "--json"))
    assert (report["created"], report["encoding"]) == (1, "cp1252")
    (stored,) = runners(db, world.edition_1).values()
    assert (stored["first_name"], stored["last_name"], stored["team_name"]) == (
        "Jürgen",
        "Weiß",
        "Läufer Köln",
    )
    assert stored["event_id"] == world.event_10k and stored["unique_id"].startswith("sl-")


def test_a_race_result_export(startline, db, world, tmp_path):
    data = (
        "ID;Bib;Firstname;Lastname;DateOfBirth;Gender;Nation;Club;Transponder1;Status;"
        "Contest;Email;City\r\n"
        "901;1;Anna;Berg;1988-07-14;f;NED;LG Nord;0004711;0;10K;a@example.com;Kiel\r\n"
        "902;2;Ben;Cole;;M;GER;;0004712;3;5K;;\r\n"
    )
    path = write(tmp_path, "raceresult.csv", data)
    report = report_of(
        startline("participants", "import", path, "--edition", str(world.edition_1), "--json")
    )
    assert (report["created"], report["refused"]) == (2, 0)
    assert '"Email" is not stored by startline; ignored' in report["warnings"]
    stored = runners(db, world.edition_1)
    assert stored["901"]["chip_code"] == "0004711" and stored["901"]["country_code"] == "NL"
    assert stored["901"]["team_name"] == "LG Nord" and stored["901"]["state"] == "before"
    assert stored["902"]["state"] == "did_not_finish" and stored["902"]["event_id"] == (
        world.event_5k
    )


# --- refused rows ----------------------------------------------------------------------------

BAD = (
    "unique_id,first_name,last_name,date_of_birth,gender,start_number,event\n"
    "a1,Ann,Lee,1990-01-02,F,1,10K\n"
    "a2,Bo,Ek,31.02.1990,F,2,10K\n"  # no such day
    "a3,Cy,Li,,Q,3,10K\n"  # not a gender
    "a4,Di,Mo,,,1,5K\n"  # bib 1 twice
    "a5,Ed,No,,,5,Marathon\n"  # no such event
    "a6,Fa,Ox,,,6,5K\n"
)


def test_strict_refusal_reports_every_line_and_changes_nothing(startline, db, world, tmp_path):
    before = journal(db)
    path = write(tmp_path, "bad.csv", BAD)
    result = startline("participants", "import", path, "--edition", str(world.edition_1))
    assert result.returncode == EXIT_REFUSED and "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    errors = [line for line in lines if line.startswith("line ")]
    assert errors == [
        'line 3, date_of_birth "31.02.1990": no such day in the calendar',
        'line 4, gender "Q": not a gender: use M, F or X (also male/female/neutral and m/w/d)',
        'line 5, start_number "1": already taken by another runner (in the edition or this file)',
        'line 6, event "Marathon": no such event in this edition (its events: 10K '
        f"({world.event_10k}), 5K ({world.event_5k}))",
    ]
    assert lines[-1] == "4 rows refused; nothing was written."
    assert runners(db, world.edition_1) == {} and journal(db) == before
    as_json = report_of(
        startline("participants", "import", path, "--edition", str(world.edition_1), "--json")
    )
    assert as_json["message"] == "4 rows refused; nothing was written."
    assert (as_json["rows"], as_json["refused"], as_json["written"]) == (6, 4, False)
    assert [(e["line"], e["column"], e["value"]) for e in as_json["errors"]] == [
        (3, "date_of_birth", "31.02.1990"),
        (4, "gender", "Q"),
        (5, "start_number", "1"),
        (6, "event", "Marathon"),
    ]
    assert runners(db, world.edition_1) == {} and journal(db) == before


def test_partial_writes_exactly_the_good_rows(startline, db, world, tmp_path):
    path = write(tmp_path, "bad.csv", BAD)
    args = ("participants", "import", path, "--edition", str(world.edition_1), "--partial")
    result = startline(*args, "--json")
    assert result.returncode == EXIT_REFUSED
    report = report_of(result)
    assert (report["created"], report["refused"], report["written"]) == (2, 4, True)
    assert report["message"] == "4 rows refused; the others were written."
    assert sorted(runners(db, world.edition_1)) == ["a1", "a6"]


def test_a_fixed_rejects_file_imports_again(startline, db, world, tmp_path):
    path = write(tmp_path, "bad.csv", BAD)
    rejects = tmp_path / "rejects.csv"
    edition = str(world.edition_1)
    result = startline(
        "participants", "import", path, "--edition", edition, "--rejects", str(rejects)
    )
    assert result.returncode == EXIT_REFUSED
    assert f"rejects: 6 rows written to {rejects}" in result.stdout.splitlines()
    raw = rejects.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "reason" and len(rows) == 7  # strict: every row is in it
    assert "no such day in the calendar" in rows[2][0]
    # The person fixes the four refused rows in a spreadsheet and imports the file again.
    fixes = {
        "a2": ("date_of_birth", "28.02.1990"),
        "a3": ("gender", "X"),
        "a4": ("start_number", "4"),
        "a5": ("event", "5K"),
    }
    header = rows[0]
    for row in rows[1:]:
        if row[1] in fixes:
            column, value = fixes[row[1]]
            row[header.index(column)] = value
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    rejects.write_text(out.getvalue(), encoding="utf-8")
    report = report_of(
        startline("participants", "import", str(rejects), "--edition", edition, "--json")
    )
    assert (report["created"], report["refused"], report["warnings"]) == (6, 0, [])
    assert sorted(runners(db, world.edition_1)) == ["a1", "a2", "a3", "a4", "a5", "a6"]


def test_partial_rejects_hold_only_the_refused_rows(startline, db, world, tmp_path):
    path = write(tmp_path, "bad.csv", BAD)
    rejects = tmp_path / "out" / "rejects.csv"
    rejects.parent.mkdir()
    result = startline(
        "participants",
        "import",
        path,
        "--edition",
        str(world.edition_1),
        "--partial",
        "--rejects",
        str(rejects),
    )
    assert result.returncode == EXIT_REFUSED
    rows = list(csv.reader(io.StringIO(rejects.read_text(encoding="utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == ["a2", "a3", "a4", "a5"]
    assert list(rejects.parent.iterdir()) == [rejects]  # no temporary file left behind


def test_dry_run_writes_nothing(startline, db, world, tmp_path):
    before = journal(db)
    good = "unique_id,first_name,last_name,event\nd1,Ann,Lee,10K\nd2,Bo,Ek,5K\n"
    path = write(tmp_path, "good.csv", good)
    args = ("participants", "import", path, "--edition", str(world.edition_1), "--dry-run")
    result = startline(*args)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "Nothing was written (dry run)."
    report = report_of(startline(*args, "--json"))
    assert (report["created"], report["dry_run"], report["written"]) == (2, True, False)
    bad = write(tmp_path, "bad.csv", BAD)
    args = ("participants", "import", bad, "--edition", str(world.edition_1), "--dry-run")
    partial = report_of(startline(*args, "--partial", "--json"))
    assert partial["message"] == (
        "4 rows refused; the others would be written (dry run: nothing was written)."
    )
    assert runners(db, world.edition_1) == {} and journal(db) == before


def test_an_import_is_journaled_once_per_runner(startline, db, world, tmp_path):
    before = len(journal(db))
    good = "unique_id,first_name,last_name,event\nj1,Ann,Lee,10K\nj2,Bo,Ek,5K\n"
    path = write(tmp_path, "good.csv", good)
    edition = str(world.edition_1)
    assert startline("participants", "import", path, "--edition", edition).returncode == 0
    added = journal(db)[before:]
    assert [kind for kind, _ in added] == ["participant.created", "participant.created"]
    assert len({batch for _, batch in added}) == 1  # one transaction, one batch
    # The same file again changes nothing, so it journals nothing; a change journals one.
    again = report_of(startline("participants", "import", path, "--edition", edition, "--json"))
    assert again["unchanged"] == 2 and len(journal(db)) == before + 2
    changed = write(tmp_path, "changed.csv", good.replace("Bo,Ek", "Bo,Eklund"))
    assert startline("participants", "import", changed, "--edition", edition).returncode == 0
    assert [kind for kind, _ in journal(db)[before + 2 :]] == ["participant.updated"]


# --- export and the round trip ---------------------------------------------------------------


def _tricky_runners(world: StartWorld):
    return [
        runner(
            world.event_10k,
            "Müller-Lüdenscheidt",
            "Jürgen",
            bib="007",
            chip="0001234",
            born=date(1970, 1, 31),
            gender="male",
            country="de",
            team="Läufer; Köln",
            unique_id="0100",
        ),
        runner(
            world.event_5k,
            "Weiß",
            "Zoë",
            bib="0012",
            chip="00099",
            gender="female",
            country="NO",
            team='"Quoted", team',
            unique_id="r-2",
        ),
        runner(world.event_10k, "漢字", "Øyvind", bib="00", unique_id="r-3"),
        runner(world.event_5k, "Ødegård", "Åsa", gender="neutral", unique_id="r-4"),
    ]


@pytest.mark.parametrize(
    "flags",
    [
        (),
        ("--excel",),
        ("--columns", "runsignup"),
        ("--columns", "raceresult", "--excel"),
        ("--delimiter", "tab"),
    ],
)
def test_export_then_import_changes_nothing(startline, db, world, tmp_path, flags):
    add_runners(db, world.edition_1, _tricky_runners(world))
    before, entries = runners(db, world.edition_1), journal(db)
    out = tmp_path / "list.csv"
    edition = str(world.edition_1)
    exported = startline("participants", "export", "--edition", edition, "-o", str(out), *flags)
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.strip() == f"exported 4 runners of edition {edition} to {out}"
    assert journal(db) == entries  # an export journals nothing
    report = report_of(
        startline("participants", "import", str(out), "--edition", edition, "--json")
    )
    assert (report["rows"], report["unchanged"], report["refused"]) == (4, 4, 0), report
    assert runners(db, world.edition_1) == before and journal(db) == entries


def test_export_to_stdout_and_for_excel(startline, db, world):
    add_runners(db, world.edition_1, _tricky_runners(world))
    edition = str(world.edition_1)
    plain = startline("participants", "export", "--edition", edition)
    assert plain.returncode == 0 and plain.stderr == ""
    assert plain.stdout.splitlines()[0] == (
        "unique_id,start_number,chip_code,first_name,last_name,date_of_birth,gender,"
        "country_code,team_name,state,event"
    )
    assert "0100,007,0001234,Jürgen,Müller-Lüdenscheidt,1970-01-31,male,de," in plain.stdout
    excel = startline("participants", "export", "--edition", edition, "--excel", "--event", "5K")
    assert excel.stdout.startswith("\ufeffunique_id;start_number;")
    rows = list(csv.reader(io.StringIO(excel.stdout.removeprefix("\ufeff")), delimiter=";"))
    assert [row[0] for row in rows[1:]] == ["r-2", "r-4"]
    assert rows[1][8] == '"Quoted", team'


# --- mistakes: one line, nothing written ----------------------------------------------------


@pytest.mark.slow
def test_mistakes_are_one_line(startline, db, world, tmp_path):
    good = write(tmp_path, "good.csv", "first_name,last_name,event\nAnn,Lee,10K\n")
    edition = str(world.edition_1)
    cases = [
        (("import", str(tmp_path / "missing.csv"), "--edition", edition), "missing.csv"),
        (("import", str(tmp_path), "--edition", edition), "is a directory"),
        (("import", good, "--edition", "999999"), "no edition 999999"),
        (("import", good), "--edition"),
        (("import", good, "--edition", edition, "--mode", "replace"), "--mode"),
        (("import", good, "--edition", edition, "--delimiter", "|"), "--delimiter"),
        (("import", good, "--edition", edition, "--encoding", "latin9"), "--encoding"),
        (("import", good, "--edition", edition, "--date-format", "YY.MM"), "--date-format"),
        (("import", good, "--edition", edition, "--event", "Marathon"), "not an event"),
        (("import", good, "--edition", edition, "--rejects", str(tmp_path)), "directory"),
        (
            ("import", good, "--edition", edition, "--rejects", str(tmp_path / "no" / "r.csv")),
            "cannot use",
        ),
        (
            ("import", write(tmp_path, "h.csv", "first_name,last_name\n"), "--edition", edition),
            "has a header (line 1) but no rows",
        ),
        (
            (
                "import",
                write(tmp_path, "b.bin", b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256))),
                "--edition",
                edition,
            ),
            "not a text file",
        ),
        (
            (
                "import",
                write(tmp_path, "w.csv", "first_name," * 10_000 + "\n"),
                "--edition",
                edition,
            ),
            "columns; at most",
        ),
        (("export", "--edition", "999999"), "no edition 999999"),
        (("export", "--edition", edition, "--columns", "excel"), "--columns"),
        (("export", "--edition", edition, "--event", "Marathon"), "not an event"),
    ]
    for args, expected in cases:
        one_line_error(startline("participants", *args), expected)
    assert runners(db, world.edition_1) == {}
    assert not (tmp_path / "no").exists()


def test_a_small_import_on_a_terminal_shows_no_progress_bar(cli_env, db, world, tmp_path):
    path = write(tmp_path, "good.csv", "first_name,last_name,event\nAnn,Lee,10K\n")
    shown = run_in_terminal(
        "participants",
        "import",
        path,
        "--edition",
        str(world.edition_1),
        env=cli_env,
        columns=80,
    )
    assert "\x1b" not in shown and "rows/s" not in shown
    assert shown.splitlines()[-1] == "Imported."


def test_a_file_that_cannot_seek_is_read_whole_first(startline, db, world, tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    data = "unique_id,first_name,last_name,event\np1,Ann,Lee,10K\np2,Bo,Ek,5K\n"

    def feed() -> None:
        with fifo.open("w") as out:  # blocks until startline opens the pipe
            out.write(data)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    report = report_of(
        startline("participants", "import", str(fifo), "--edition", str(world.edition_1), "--json")
    )
    writer.join(timeout=10)
    assert (report["created"], report["refused"]) == (2, 0)
    assert sorted(runners(db, world.edition_1)) == ["p1", "p2"]


# --- delete ----------------------------------------------------------------------------------


def test_delete_removes_one_runner_and_journals_it(startline, db, world):
    kept, gone = add_runners(
        db,
        world.edition_1,
        [
            runner(world.event_10k, "Lee", unique_id="r1"),
            runner(world.event_5k, "Ek", unique_id="r2"),
        ],
    )
    add_runners(db, world.edition_2, [runner(world.event_next, "Ek", unique_id="r2")])
    with db.reading() as session:
        head = session.execute(select(func.max(Change.position))).scalar_one()
    result = startline("participants", "delete", "r2", "--edition", str(world.edition_1), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "edition_id": world.edition_1,
        "unique_id": "r2",
        "participant_id": gone,
        "deleted": True,
    }
    assert sorted(runners(db, world.edition_1)) == ["r1"]
    assert sorted(runners(db, world.edition_2)) == ["r2"]  # the same unique_id, another edition
    with db.reading() as session:
        entries = session.execute(
            select(Change).where(Change.position > head).order_by(Change.position)
        ).scalars()
        written = [
            (e.type, e.race_id, e.edition_id, e.event_id, e.participant_id, json.loads(e.entity))
            for e in entries
        ]
    assert written == [
        (
            "participant.deleted",
            world.race_id,
            world.edition_1,
            world.event_5k,
            gone,
            {"unique_id": "r2"},
        )
    ]

    result = startline("participants", "delete", "r1", "--edition", str(world.edition_1))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "runner deleted",
        f"  edition_id      {world.edition_1}",
        "  unique_id       r1",
        f"  participant_id  {kept}",
        "  deleted         yes",
    ]
    assert runners(db, world.edition_1) == {}


def test_deleting_an_unknown_runner_or_edition_is_one_line_and_changes_nothing(
    startline, db, world
):
    add_runners(db, world.edition_1, [runner(world.event_10k, "Lee", unique_id="r1")])
    stored, before = runners(db, world.edition_1), journal(db)
    edition = str(world.edition_1)
    cases = [
        (("r9", "--edition", edition), "no runner 'r9' in edition"),
        (("r1", "--edition", str(world.edition_2)), f"no runner 'r1' in edition {world.edition_2}"),
        (("R1", "--edition", edition), "no runner 'R1'"),  # unique_ids are exact
        (("r1", "--edition", "999999"), "no edition 999999"),
        (("r1", "--edition", str(2**40)), f"no edition {2**40}"),
        (("r1", "--edition", "ten"), "--edition"),
        (("r1",), "--edition"),
        (("--edition", edition), "UNIQUE_ID"),
    ]
    for args, expected in cases:
        one_line_error(startline("participants", "delete", *args), expected)
    assert runners(db, world.edition_1) == stored
    assert journal(db) == before

"""Reading files as people make them: encodings, delimiters, line numbers, and the files that
are not start lists at all."""

import codecs
import io

import pytest

from startline.startlists.headers import is_known
from startline.startlists.reading import HEAD_BYTES, UNDECODABLE, FileRefused, open_records


def read(data: bytes, **options):
    records = open_records(io.BytesIO(data), known=is_known, **options)
    return records, list(records.rows)


def test_excel_utf8_with_bom_and_semicolons():
    data = codecs.BOM_UTF8 + "Vorname;Nachname\r\nfirst_name;last_name\r\nJörg;Müller\r\n".encode()
    records, rows = read(data)
    assert (records.encoding, records.bom, records.delimiter) == ("utf-8", True, ";")
    assert records.header == ["Vorname", "Nachname"]  # no BOM glued to the first cell
    assert rows == [(2, ["first_name", "last_name"]), (3, ["Jörg", "Müller"])]


def test_utf16_tab_delimited_as_excel_saves_unicode_text():
    text = "first_name\tlast_name\tteam_name\r\nØyvind\tÅs\t漢字\r\n"
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        records, rows = read(bom + text.encode(codec))
        assert (records.encoding, records.delimiter) == ("utf-16", "\t")
        assert rows == [(2, ["Øyvind", "Ås", "漢字"])]


def test_cp1252_with_umlauts_falls_back():
    data = "first_name;last_name\r\nJürgen;Weiß\r\n".encode("cp1252")
    records, rows = read(data)
    assert records.encoding == "cp1252"
    assert rows == [(2, ["Jürgen", "Weiß"])]


def test_the_encoding_is_decided_on_the_head_and_later_bad_bytes_mark_their_row():
    good = "first_name,last_name\n" + "Ann,Lee\n" * (HEAD_BYTES // 8 + 10)
    data = good.encode() + b"J\xfcrgen,Wei\xdf\n" + "Zoë,Ås\n".encode()
    records, rows = read(data)
    assert records.encoding == "utf-8"
    bad_line, bad = rows[-2]
    assert bad_line == len(rows)  # header line 1, rows from line 2
    assert UNDECODABLE in bad[0] and UNDECODABLE in bad[1]
    assert rows[-1][1] == ["Zoë", "Ås"]


def test_a_multibyte_character_cut_at_the_head_boundary_is_still_utf8():
    prefix = "first_name,last_name\n"
    filler = "a" * (HEAD_BYTES - len(prefix) - 1)
    data = (prefix + filler + "ü,x\n").encode()  # ü straddles byte 64 KiB
    records, rows = read(data)
    assert records.encoding == "utf-8" and rows[0][1][0].endswith("ü")


def test_quoted_fields_with_newlines_keep_the_line_numbers_right():
    data = b'first_name,last_name,street\nAnn,Lee,"Main St 1\nApt 5\r\nBack door"\n\nBo,Ek,\n'
    _, rows = read(data)
    assert rows == [(2, ["Ann", "Lee", "Main St 1\nApt 5\r\nBack door"]), (6, ["Bo", "Ek", ""])]


def test_blank_lines_and_delimiter_only_lines_are_skipped():
    data = b"\n\nfirst_name;last_name\n\n;\nAnn;Lee\n  \n;;\n"
    records, rows = read(data)
    assert records.header_line == 3
    assert rows == [(6, ["Ann", "Lee"])]


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [
        ("first_name;last_name;Bib", ";"),
        ("first_name,last_name,Bib", ","),
        ("first_name\tlast_name\tBib", "\t"),
        # Names with commas in a ;-file: the known columns decide, not the counts.
        ("First Name;Last Name;Club", ";"),
        ("Firstname;Lastname;Club, Town", ";"),
    ],
)
def test_the_delimiter_is_the_one_that_splits_the_header_into_known_columns(header, delimiter):
    data = f"{header}\nA;a,b;c\n".encode()
    records, _ = read(data)
    assert records.delimiter == delimiter


def test_a_semicolon_file_never_becomes_one_column():
    data = b"first_name;last_name;start_number\nAnn;Lee;1\n"
    assert read(data)[0].header == ["first_name", "last_name", "start_number"]
    with pytest.raises(FileRefused, match="looks semicolon-delimited"):
        read(data, delimiter=",")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"\n\n  \n", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file"),
        (b"PK\x03\x04\x14\x00\x06\x00", "Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Excel workbook"),
        ("first_name\tlast_name\n".encode("utf-16-le"), "byte order mark"),
        (b"first_name,last_name\n" + b"x" * (1024 * 1024 + 10), "longer than"),
    ],
)
def test_files_that_are_not_start_lists(data, message):
    with pytest.raises(FileRefused, match=message):
        read(data)


def test_an_asked_encoding_wins():
    data = "first_name;last_name\nJürgen;Weiß\n".encode("cp1252")
    _, rows = read(data, encoding="cp1252")
    assert rows[0][1] == ["Jürgen", "Weiß"]
    _, rows = read(data, encoding="utf-8")
    assert UNDECODABLE in rows[0][1][0]
    with pytest.raises(FileRefused, match="must start with a byte order mark"):
        read(data, encoding="utf-16")


def test_a_huge_field_is_a_clear_error():
    data = b'first_name,last_name\n"' + b"x" * 200_000 + b'",y\n'
    with pytest.raises(FileRefused, match="line 2: field larger than field limit"):
        read(data)


def test_the_collector_is_paused_during_imports_and_restored():
    import gc

    from startline.heap import collector_paused

    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # a second import at the same time
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()  # turned off by someone else: left off
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()

"""CSV start lists over /api/v1: import (the raw file as the body, options as query
parameters) and export (streamed CSV), with Tracx's tokens, scopes and error bodies."""

from __future__ import annotations

import codecs

import pytest

from startline.domain.participants.reading import participants_of_edition


def path(edition_id: int | str) -> str:
    return f"/api/v1/editions/{edition_id}/participants.csv"


GOOD = (
    "unique_id;first_name;last_name;start_number;chip_code;date_of_birth;gender;event\n"
    "r1;Jörg;Müller;007;0000042;03.02.1990;m;10K\n"
    "r2;Zoë;Ødegård;012;0000043;1985-12-31;w;Half marathon\n"
)


def post(client, token, edition_id, body, **params):
    data = body.encode() if isinstance(body, str) else body
    return client.post(
        path(edition_id),
        content=data,
        params=params,
        headers={"Authorization": token, "Content-Type": "text/csv"},
    )


def stored(db, edition_id):
    with db.reading() as session:
        return {p.unique_id: p for p in participants_of_edition(session, edition_id=edition_id)}


def test_import_answers_the_report(client, db, world, tokens):
    response = post(client, tokens.races, world.edition_a1, GOOD)
    assert response.status_code == 200, response.text
    body = response.json()
    assert {k: body[k] for k in ("rows", "created", "updated", "unchanged", "refused")} == {
        "rows": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "refused": 0,
    }
    assert body["errors"] == [] and body["message"] == "Imported."
    assert stored(db, world.edition_a1)["r1"].start_number == "007"
    again = post(client, f"Bearer {tokens.races}", world.edition_a1, GOOD).json()
    assert (again["created"], again["unchanged"]) == (0, 2)


BAD = GOOD + "r3;Cy;;3;0000044;31.02.1990;x;10K\n"


def test_strict_refusal_is_422_with_the_same_report(client, db, world, tokens):
    response = post(client, tokens.races, world.edition_a1, BAD)
    assert response.status_code == 422
    body = response.json()
    assert body["message"] == "1 row refused; nothing was written."
    assert (body["rows"], body["created"], body["refused"], body["written"]) == (3, 0, 1, False)
    assert body["errors"] == [
        {"line": 4, "column": "last_name", "value": "", "reason": "must not be empty"},
        {
            "line": 4,
            "column": "date_of_birth",
            "value": "31.02.1990",
            "reason": "no such day in the calendar",
        },
    ]
    assert stored(db, world.edition_a1) == {}


def test_partial_and_dry_run_as_query_parameters(client, db, world, tokens):
    dry = post(client, tokens.races, world.edition_a1, BAD, partial="true", **{"dry-run": "1"})
    assert dry.status_code == 200 and dry.json()["created"] == 2 and dry.json()["dry_run"]
    assert stored(db, world.edition_a1) == {}
    response = post(client, tokens.races, world.edition_a1, BAD, partial="")
    assert response.status_code == 200
    assert response.json()["message"] == "1 row refused; the others were written."
    assert sorted(stored(db, world.edition_a1)) == ["r1", "r2"]


def test_options_named_like_the_cli_flags(client, db, world, tokens):
    data = "First;Last;Bib\nAnn;Lee;5\n".encode("cp1252")
    response = post(
        client,
        tokens.races,
        world.edition_a1,
        data,
        event="Half marathon",
        delimiter=";",
        encoding="cp1252",
        date_format="DD/MM/YYYY",
        mode="add",
    )
    assert response.status_code == 200, response.text
    (runner,) = stored(db, world.edition_a1).values()
    assert runner.event_id == world.event_a1_half and runner.origin == "csv"
    tabbed = post(client, tokens.races, world.edition_a1, "First\tLast\nBo\tEk\n", delimiter="tab")
    assert tabbed.status_code == 422 and "event" in tabbed.text  # no event: refused row


def test_bad_options_are_laravel_422s(client, world, tokens):
    response = post(client, tokens.races, world.edition_a1, GOOD, mode="replace", partial="maybe")
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "mode": ["The selected mode is invalid (one of upsert, add, update)."],
        "partial": ["The partial field must be true or false."],
    }


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40, "not a text file"),
        (b"first_name,last_name\n", "has a header (line 1) but no rows"),
        (b"", "the file is empty"),
        (b"Shoe size,Colour\n42,red\n", "no known column in the header"),
    ],
)
def test_files_that_are_not_start_lists(client, db, world, tokens, body, problem):
    response = post(client, tokens.races, world.edition_a1, body)
    assert response.status_code == 422
    (message,) = response.json()["errors"]["file"]
    assert problem in message and response.json()["message"] == message
    assert stored(db, world.edition_a1) == {}


def test_a_row_with_ten_thousand_columns(client, db, world, tokens):
    body = "first_name,last_name,event\nAnn,Lee,10K\n" + ",".join(["x"] * 10_000) + "\n"
    response = post(client, tokens.races, world.edition_a1, body)
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["line"] == 3 and error["reason"].startswith("10,000 fields where the header")
    assert stored(db, world.edition_a1) == {}


def test_a_100_mb_body_is_refused_with_413(client, db, world, tokens):
    def hundred_megabytes():
        yield b"first_name,last_name,event\n"
        row = b"Ann,Lee,10K\n" * 87_382  # ~1 MiB
        for _ in range(100):
            yield row

    response = client.post(
        path(world.edition_a1),
        content=hundred_megabytes(),
        headers={"Authorization": tokens.races},
    )
    assert response.status_code == 413
    assert response.json() == {"message": "The request body is too large."}
    declared = client.post(
        path(world.edition_a1),
        content=b"x",
        headers={"Authorization": tokens.races, "Content-Length": str(100 * 1024 * 1024)},
    )
    assert declared.status_code == 413
    assert stored(db, world.edition_a1) == {}


def test_more_rows_than_a_batch_is_413(client, app, db, world, tokens):
    app.state.services.settings.batch_max_items = 3
    body = "first_name,last_name,event\n" + "Ann,Lee,10K\n" * 4
    response = post(client, tokens.races, world.edition_a1, body)
    assert response.status_code == 413
    assert response.json() == {"message": "The request may not contain more than 3 participants."}


def test_who_may_import(client, world, tokens):
    assert post(client, "", world.edition_a1, GOOD).status_code == 401
    assert post(client, "1|nope", world.edition_a1, GOOD).status_code == 401
    forbidden = post(client, tokens.events_only, world.edition_a1, GOOD)
    assert forbidden.status_code == 403
    assert forbidden.json() == {"message": "This action is unauthorized."}
    for edition in (world.edition_b1, 999, "x", "99999999999999999999"):
        missing = post(client, tokens.races, edition, GOOD)
        assert missing.status_code == 404 and missing.json() == {"message": "Not Found."}
    assert post(client, tokens.admin, world.edition_b1, "First,Last\nA,B\n").status_code == 422


# --- export ----------------------------------------------------------------------------------


def test_export_streams_csv_and_imports_back_unchanged(client, world, tokens):
    assert post(client, tokens.races, world.edition_a1, GOOD).status_code == 200
    response = client.get(path(world.edition_a1), headers={"Authorization": tokens.races})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    assert "attachment" in response.headers["content-disposition"]
    lines = response.content.decode().splitlines()
    assert lines[0] == (
        "unique_id,start_number,chip_code,first_name,last_name,date_of_birth,gender,"
        "country_code,team_name,state,event"
    )
    assert lines[1] == "r1,007,0000042,Jörg,Müller,1990-02-03,male,,,before,10K"
    again = post(client, tokens.races, world.edition_a1, response.content).json()
    assert (again["unchanged"], again["created"], again["updated"]) == (2, 0, 0)


@pytest.mark.parametrize("columns", ["tracx", "runsignup", "raceresult"])
def test_export_for_excel_in_every_family(client, world, tokens, columns):
    post(client, tokens.races, world.edition_a1, GOOD)
    response = client.get(
        path(world.edition_a1),
        params={"columns": columns, "excel": "true"},
        headers={"Authorization": tokens.races},
    )
    assert response.status_code == 200
    assert response.content.startswith(codecs.BOM_UTF8)
    assert ";" in response.content.decode("utf-8-sig").splitlines()[0]
    again = post(client, tokens.races, world.edition_a1, response.content).json()
    assert (again["unchanged"], again["refused"]) == (2, 0)


def test_export_of_one_event(client, world, tokens):
    post(client, tokens.races, world.edition_a1, GOOD)
    response = client.get(
        path(world.edition_a1),
        params={"event": "half marathon"},
        headers={"Authorization": tokens.races},
    )
    assert [line.split(",")[0] for line in response.text.splitlines()] == ["unique_id", "r2"]
    unknown = client.get(
        path(world.edition_a1), params={"event": "5K"}, headers={"Authorization": tokens.races}
    )
    assert unknown.status_code == 404


def test_who_may_export(client, db, world, tokens):
    from startline.domain.accounts.service import create_connect_token

    with db.transaction() as s:
        store_only = create_connect_token(
            s,
            owner_email=world.owner_email,
            permissions=["permissions.participants.store-multiple"],
            race_ids=[world.race_a],
        ).token
    url = path(world.edition_a1)
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": store_only}).status_code == 403
    assert (
        client.get(path(world.edition_b1), headers={"Authorization": tokens.races}).status_code
        == 404
    )
    assert client.get(url, headers={"Authorization": tokens.timer}).status_code == 200
    bad = client.get(url, params={"columns": "excel"}, headers={"Authorization": tokens.races})
    assert bad.status_code == 422 and "columns" in bad.json()["errors"]


def test_export_delimiter_wins_over_the_excel_default(client, world, tokens):
    post(client, tokens.races, world.edition_a1, GOOD)
    response = client.get(
        path(world.edition_a1),
        params={"excel": "true", "delimiter": "tab"},
        headers={"Authorization": tokens.races},
    )
    assert response.content.startswith(codecs.BOM_UTF8)
    assert (
        response.content.decode("utf-8-sig").splitlines()[0].startswith("unique_id\tstart_number")
    )
    again = post(client, tokens.races, world.edition_a1, response.content).json()
    assert again["unchanged"] == 2

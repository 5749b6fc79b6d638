"""POST /v1/connect/participant: upsert keyed on (edition, unique_id), moves within an
edition, chip/bib clashes as Laravel 422s, and a handful of validation cases end to end."""

from __future__ import annotations

from startline.domain.participants.reading import participants_of_edition
from tests.contract.tracx.conftest import participant

URL = "/v1/connect/participant"


def _post(client, token, body):
    return client.post(URL, json=body, headers={"Authorization": token})


def _rows(db, edition_id):
    with db.reading() as s:
        return {p.unique_id: p for p in participants_of_edition(s, edition_id=edition_id)}


def test_moves_between_events_of_one_edition(client, db, world, tokens):
    first = _post(client, tokens.races, participant(world.event_a1_10k, "r1")).json()["data"]
    moved = _post(client, tokens.races, participant(world.event_a1_half, "r1")).json()["data"]
    assert moved["id"] == first["id"]
    assert (moved["event_id"], moved["race_id"]) == (world.edition_a1, world.event_a1_half)
    other = _post(client, tokens.races, participant(world.event_a2_10k, "r1")).json()["data"]
    assert other["id"] != first["id"] and other["event_id"] == world.edition_a2
    assert len(_rows(db, world.edition_a1)) == 1


def test_absent_keeps_null_clears_state_null_keeps(client, world, tokens):
    first = participant(world.event_a1_10k, "r1", team_name="Fast", state="during")
    _post(client, tokens.races, first)
    body = participant(world.event_a1_10k, "r1", country_code=None, state=None)
    del body["team_name"]
    del body["gender"]
    data = _post(client, tokens.races, body).json()["data"]
    assert data["team_name"] == "Fast"  # absent: kept
    assert data["gender"] == "male"  # absent: kept
    assert data["country_code"] is None  # null: cleared
    assert data["state"] == "during"  # null state: kept


def test_new_participant_without_state_starts_before(client, world, tokens):
    body = participant(world.event_a1_10k, "r1")
    del body["state"]
    assert _post(client, tokens.races, body).json()["data"]["state"] == "before"


def test_chip_clash_is_422_and_changes_nothing(client, db, world, tokens):
    _post(client, tokens.races, participant(world.event_a1_10k, "r1"))
    _post(client, tokens.races, participant(world.event_a1_10k, "r2"))
    response = _post(
        client, tokens.races, participant(world.event_a1_half, "r2", chip_code="00000r1")
    )
    assert response.status_code == 422
    assert response.json() == {
        "message": "The chip code has already been taken.",
        "errors": {"chip_code": ["The chip code has already been taken."]},
    }
    row = _rows(db, world.edition_a1)["r2"]
    assert (row.event_id, row.chip_code) == (world.event_a1_10k, "00000r2")


def test_bib_and_chip_clash_together(client, db, world, tokens):
    _post(client, tokens.races, participant(world.event_a1_10k, "r1"))
    response = _post(
        client,
        tokens.races,
        participant(world.event_a1_10k, "new", start_number="r1", chip_code="00000r1"),
    )
    assert response.status_code == 422
    assert response.json() == {
        "message": "The start number has already been taken. (and 1 more error)",
        "errors": {
            "start_number": ["The start number has already been taken."],
            "chip_code": ["The chip code has already been taken."],
        },
    }
    assert set(_rows(db, world.edition_a1)) == {"r1"}


def test_same_chip_in_another_edition_is_fine(client, world, tokens):
    assert _post(client, tokens.races, participant(world.event_a1_10k, "r1")).status_code == 200
    body = participant(world.event_a2_10k, "r2", chip_code="00000r1", start_number="r1")
    assert _post(client, tokens.races, body).status_code == 200


def test_integer_start_number_is_stored_as_string(client, world, tokens):
    data = _post(client, tokens.races, participant(world.event_a1_10k, "r1", start_number=12))
    assert data.status_code == 200, data.text
    assert data.json()["data"]["start_number"] == "12"


def test_validation_errors_end_to_end(client, db, world, tokens):
    response = _post(client, tokens.races, {})
    assert response.status_code == 422
    body = response.json()
    assert body["message"] == "The unique id field is required. (and 6 more errors)"
    assert list(body["errors"]) == [
        "unique_id",
        "first_name",
        "last_name",
        "date_of_birth",
        "start_number",
        "chip_code",
        "race_id",
    ]
    body = participant(world.event_a1_10k, "r1", chip_code="123", gender="x")
    body["race_id"] = "abc"
    response = _post(client, tokens.races, body)
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "chip_code": ["The chip code field must be 7 characters."],
        "gender": ["The selected gender is invalid."],
        "race_id": ["The race id field must be an integer."],
    }
    assert _rows(db, world.edition_a1) == {}


def test_body_that_is_not_json_is_empty(client, tokens):
    headers = {"Authorization": tokens.races, "Content-Type": "application/json"}
    response = client.post(URL, content=b"{not json", headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"]["unique_id"] == ["The unique id field is required."]


def test_strings_are_trimmed_before_storing(client, world, tokens):
    body = participant(world.event_a1_10k, "r1", first_name="  Kris\t", team_name="   ")
    data = _post(client, tokens.races, body).json()["data"]
    assert data["first_name"] == "Kris" and data["team_name"] is None


def test_unicode_spaces_are_trimmed_before_storing(client, db, world, tokens):
    """Decision 18: Laravel's TrimStrings trims Unicode whitespace (U+00A0, U+3000, ...)."""
    body = participant(
        world.event_a1_10k,
        "\u00a0r1\u3000",
        start_number="r1",
        chip_code="\u300000000r1\u00a0",
        first_name="\u00a0Kris\u3000",
        last_name="\u2003Kuiper\u00a0",
        team_name="\u3000",
    )
    data = _post(client, tokens.races, body).json()["data"]
    assert (data["unique_id"], data["first_name"], data["last_name"]) == ("r1", "Kris", "Kuiper")
    assert data["chip_code"] == "00000r1"
    assert data["team_name"] is None
    stored = _rows(db, world.edition_a1)["r1"]
    assert (stored.first_name, stored.last_name) == ("Kris", "Kuiper")
    batch = client.post(
        f"/v1/connect/events/{world.edition_a1}/participants",
        json=[
            participant(
                world.event_a1_10k,
                "\u3000r2",
                chip_code="00000r2",
                start_number="r2",
                first_name="Kris\u00a0",
            )
        ],
        headers={"Authorization": tokens.races},
    )
    assert batch.status_code == 200, batch.text
    assert _rows(db, world.edition_a1)["r2"].first_name == "Kris"


def test_race_id_beyond_the_column_range_is_invalid_not_an_error(client, world, tokens):
    for race_id in (2**62, -(2**62), 0):
        body = {**participant(world.event_a1_10k, "r1"), "race_id": race_id}
        response = _post(client, tokens.races, body)
        assert response.status_code == 422, race_id
        assert response.json()["errors"] == {"race_id": ["The selected race id is invalid."]}


def test_a_raced_clash_is_judged_again_in_a_new_transaction(client, db, world, tokens, monkeypatch):
    """The first run meets a clash a concurrent write caused (simulated); the retry, in a new
    transaction, stores the runner."""
    from startline.dialects.tracx import participants as dialect
    from startline.domain.participants.errors import Clash, ParticipantClash

    real, runs = dialect.upsert_participant, []

    def raced_once(session, *, change, **options):
        runs.append(change.unique_id)
        if len(runs) == 1:
            raise ParticipantClash([Clash(0, "chip_code")], raced=True)
        return real(session, change=change, **options)

    monkeypatch.setattr(dialect, "upsert_participant", raced_once)
    response = _post(client, tokens.races, participant(world.event_a1_10k, "r1"))
    assert response.status_code == 200, response.text
    assert runs == ["r1", "r1"]
    assert set(_rows(db, world.edition_a1)) == {"r1"}


def test_a_clash_raced_twice_is_a_422(client, db, world, tokens, monkeypatch):
    from startline.dialects.tracx import participants as dialect
    from startline.domain.participants.errors import Clash, ParticipantClash

    def always_raced(session, *, change, **options):
        raise ParticipantClash([Clash(0, "chip_code")], raced=True)

    monkeypatch.setattr(dialect, "upsert_participant", always_raced)
    response = _post(client, tokens.races, participant(world.event_a1_10k, "r1"))
    assert response.status_code == 422
    assert response.json()["errors"] == {"chip_code": ["The chip code has already been taken."]}
    assert _rows(db, world.edition_a1) == {}

"""POST /v1/connect/events/{event_id}/participants: validate all, then one transaction;
errors keyed `<index>.<field>`; chip/bib uniqueness judged on the after-state."""

from __future__ import annotations

from startline.domain.participants.reading import participants_of_edition
from tests.contract.tracx.conftest import participant


def _url(edition_id) -> str:
    return f"/v1/connect/events/{edition_id}/participants"


def _post(client, token, edition_id, items):
    return client.post(_url(edition_id), json=items, headers={"Authorization": token})


def _rows(db, edition_id):
    with db.reading() as s:
        return {p.unique_id: p for p in participants_of_edition(s, edition_id=edition_id)}


def test_created_and_updated_counts(client, db, world, tokens):
    items = [participant(world.event_a1_10k, str(i)) for i in range(1, 4)]
    response = _post(client, tokens.races, world.edition_a1, items)
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"created": 3, "updated": 0}}
    items = [participant(world.event_a1_half, "3"), participant(world.event_a1_10k, "4")]
    response = _post(client, tokens.races, world.edition_a1, items)
    assert response.json() == {"data": {"created": 1, "updated": 1}}
    rows = _rows(db, world.edition_a1)
    assert len(rows) == 4 and rows["3"].event_id == world.event_a1_half


def test_chip_and_bib_swap_in_one_batch(client, db, world, tokens):
    a = participant(world.event_a1_10k, "a", start_number="1", chip_code="AAAAAAA")
    b = participant(world.event_a1_10k, "b", start_number="2", chip_code="BBBBBBB")
    assert _post(client, tokens.races, world.edition_a1, [a, b]).status_code == 200
    a.update(start_number="2", chip_code="BBBBBBB")
    b.update(start_number="1", chip_code="AAAAAAA")
    response = _post(client, tokens.races, world.edition_a1, [a, b])
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"created": 0, "updated": 2}}
    rows = _rows(db, world.edition_a1)
    assert (rows["a"].start_number, rows["a"].chip_code) == ("2", "BBBBBBB")
    assert (rows["b"].start_number, rows["b"].chip_code) == ("1", "AAAAAAA")


def test_clash_with_a_participant_outside_the_batch(client, db, world, tokens):
    client.post(
        "/v1/connect/participant",
        json=participant(world.event_a1_10k, "keeper", chip_code="KKKKKKK"),
        headers={"Authorization": tokens.races},
    )
    items = [
        participant(world.event_a1_10k, "n1"),
        participant(world.event_a1_10k, "n2", chip_code="KKKKKKK", start_number="keeper"),
    ]
    response = _post(client, tokens.races, world.edition_a1, items)
    assert response.status_code == 422
    assert response.json() == {
        "message": "The 1.start number has already been taken. (and 1 more error)",
        "errors": {
            "1.start_number": ["The 1.start number has already been taken."],
            "1.chip_code": ["The 1.chip code has already been taken."],
        },
    }
    assert set(_rows(db, world.edition_a1)) == {"keeper"}


def test_chip_brought_twice_blames_the_later_item(client, db, world, tokens):
    items = [
        participant(world.event_a1_10k, "n1", chip_code="SAMESAM"),
        participant(world.event_a1_10k, "n2"),
        participant(world.event_a1_10k, "n3", chip_code="SAMESAM"),
    ]
    response = _post(client, tokens.races, world.edition_a1, items)
    assert response.status_code == 422
    assert response.json()["errors"] == {"2.chip_code": ["The 2.chip code has already been taken."]}
    assert _rows(db, world.edition_a1) == {}


def test_invalid_item_rejects_the_whole_batch(client, db, world, tokens):
    items = [
        participant(world.event_a1_10k, "ok"),
        participant(world.event_a1_10k, "bad", chip_code="123"),
        participant(world.event_a2_10k, "other", chip_code="0000003"),
    ]
    response = _post(client, tokens.races, world.edition_a1, items)
    assert response.status_code == 422
    assert response.json() == {
        "message": "The 1.chip code field must be 7 characters. (and 1 more error)",
        "errors": {
            "1.chip_code": ["The 1.chip code field must be 7 characters."],
            "2.race_id": ["The selected 2.race id is invalid."],
        },
    }
    assert _rows(db, world.edition_a1) == {}


def test_duplicate_unique_id_blames_the_later_item(client, db, world, tokens):
    items = [
        participant(world.event_a1_10k, "dup", start_number="1", chip_code="0000001"),
        participant(world.event_a1_10k, "dup", start_number="2", chip_code="0000002"),
    ]
    response = _post(client, tokens.races, world.edition_a1, items)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["1.unique_id"]
    assert _rows(db, world.edition_a1) == {}


def test_empty_batch_is_required_error(client, tokens, world):
    response = _post(client, tokens.races, world.edition_a1, [])
    assert response.status_code == 422
    assert response.json() == {
        "message": "The participants field is required.",
        "errors": {"participants": ["The participants field is required."]},
    }


def test_object_body_is_not_a_batch(client, tokens, world):
    response = _post(client, tokens.races, world.edition_a1, participant(world.event_a1_10k))
    assert response.status_code == 422
    assert response.json()["message"] == "The participants field must be a list."


def test_non_numeric_event_id_is_not_found(client, tokens):
    response = _post(client, tokens.races, "abc", [])
    assert response.status_code == 404
    assert response.json() == {"message": "Not Found."}


def test_edition_deleted_between_validation_and_write(client, db, world, tokens, monkeypatch):
    from startline.dialects.tracx import participants as tracx_participants
    from startline.domain.races.models import Edition

    real = tracx_participants.upsert_participants

    def delete_first(session, *, edition_id, rows):
        session.delete(session.get(Edition, edition_id))
        session.flush()
        return real(session, edition_id=edition_id, rows=rows)

    monkeypatch.setattr(tracx_participants, "upsert_participants", delete_first)
    items = [participant(world.event_a1_10k, "1"), participant(world.event_a1_10k, "2")]
    response = _post(client, tokens.races, world.edition_a1, items)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["0.race_id", "1.race_id"]
    with db.reading() as s:
        assert s.get(Edition, world.edition_a1) is not None  # rolled back


_STORED = (
    "unique_id",
    "start_number",
    "chip_code",
    "first_name",
    "last_name",
    "country_code",
    "team_name",
    "date_of_birth",
    "gender",
    "state",
)


def _unprefixed(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Decision 19: a batch of one's 422 is the single endpoint's without the `0.` prefix."""
    out = {}
    for key, messages in errors.items():
        field = key.removeprefix("0.")
        attribute = field.replace("_", " ")
        out[field] = [message.replace(f"0.{attribute}", attribute) for message in messages]
    return out


def test_a_batch_of_one_stores_the_single_endpoints_row_and_gives_its_422(
    client, db, world, tokens
):
    """The single endpoint writes into edition A1, the batch of one into A2 (the same race):
    the stored runners match field by field, and every refusal is the same 422."""
    headers = {"Authorization": tokens.races}
    valid = [
        participant(0, "p1"),
        participant(
            0,
            "\u00a0p2 ",
            chip_code="00000p2",
            start_number="p2",
            first_name="\u3000Kris",
            team_name=" ",
            state=None,
        ),
        participant(0, "p3", start_number=12, country_code="NL", gender=None),
    ]
    for body in valid:
        single = client.post(
            "/v1/connect/participant", json={**body, "race_id": world.event_a1_10k}, headers=headers
        )
        assert single.status_code == 200, single.text
        batch = _post(
            client, tokens.races, world.edition_a2, [{**body, "race_id": world.event_a2_10k}]
        )
        assert batch.status_code == 200, batch.text
    one, many = _rows(db, world.edition_a1), _rows(db, world.edition_a2)
    assert set(one) == set(many) == {"p1", "p2", "p3"}
    for unique_id in one:
        assert [getattr(one[unique_id], name) for name in _STORED] == [
            getattr(many[unique_id], name) for name in _STORED
        ]

    invalid = [
        {},
        participant(world.event_a1_10k, "p9", chip_code="123", gender="x", first_name="a\x00"),
        participant(world.event_b1_5k, "p9"),  # outside the token's scope
        {**participant(world.event_a1_10k, "p9", date_of_birth="2001-02-30"), "race_id": "1.5"},
        participant(world.event_a1_10k, "p9", chip_code=one["p1"].chip_code),  # taken
    ]
    before = (len(one), len(many))
    for body in invalid:
        single = client.post("/v1/connect/participant", json=body, headers=headers)
        batch = _post(client, tokens.races, world.edition_a1, [body])
        assert single.status_code == batch.status_code == 422, (single.text, batch.text)
        assert _unprefixed(batch.json()["errors"]) == single.json()["errors"]
    assert (len(_rows(db, world.edition_a1)), len(_rows(db, world.edition_a2))) == before

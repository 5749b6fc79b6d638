"""The seed's own curl example, sent verbatim (JSON under curl's default form content type)."""

from __future__ import annotations

import re

from tests.support.world import SEED_CURL_BODY

SEED_BODY = SEED_CURL_BODY
CURL_HEADERS = {
    "Accept": "application/json",
    "Content-Type": "application/x-www-form-urlencoded",  # what curl -d sends
}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def test_seed_example_verbatim_inserts_then_updates(client, world, tokens):
    assert world.event_a1_10k == 1  # the seed's race_id
    headers = {**CURL_HEADERS, "Authorization": tokens.races}
    response = client.post("/v1/connect/participant", content=SEED_BODY, headers=headers)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert list(data) == [
        "id",
        "unique_id",
        "start_number",
        "chip_code",
        "event_id",
        "race_id",
        "first_name",
        "last_name",
        "full_name",
        "country_code",
        "team_name",
        "date_of_birth",
        "gender",
        "state",
        "created_at",
        "updated_at",
    ]
    assert data["unique_id"] == "1" and data["start_number"] == "1"
    assert data["chip_code"] == "0000001"
    assert data["event_id"] == world.edition_a1 and data["race_id"] == 1
    assert data["full_name"] == "Kris Kuiper"
    assert data["country_code"] == "nl" and data["team_name"] is None
    assert data["date_of_birth"] == "2001-01-01"
    assert data["gender"] == "male" and data["state"] == "before"
    assert TIMESTAMP.match(data["created_at"]) and TIMESTAMP.match(data["updated_at"])

    changed = (
        SEED_BODY.replace('"Kuiper"', '"de Vries"')
        .replace('"race_id": 1', f'"race_id": {world.event_a1_half}')
        .replace('"country_code": "nl"', '"country_code": "BE"')
        .replace('"state": "before"', '"state": "finished"')
    )
    again = client.post("/v1/connect/participant", content=changed, headers=headers)
    assert again.status_code == 200, again.text
    updated = again.json()["data"]
    assert updated["id"] == data["id"]
    assert updated["last_name"] == "de Vries" and updated["full_name"] == "Kris de Vries"
    assert updated["race_id"] == world.event_a1_half and updated["event_id"] == world.edition_a1
    assert updated["country_code"] == "be"
    assert updated["state"] == "finished"
    assert updated["created_at"] == data["created_at"]


def test_seed_example_with_json_content_type_and_bearer(client, world, tokens):
    headers = {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "Authorization": f"Bearer {tokens.races}",
    }
    response = client.post("/v1/connect/participant", content=SEED_BODY, headers=headers)
    assert response.status_code == 200, response.text

"""The OpenAPI document describes the real Tracx request bodies and answers."""

from __future__ import annotations


def test_request_bodies_are_described(client):
    paths = client.get("/openapi.json").json()["paths"]
    single = paths["/v1/connect/participant"]["post"]
    batch = paths["/v1/connect/events/{event_id}/participants"]["post"]
    single_schema = single["requestBody"]["content"]["application/json"]["schema"]
    batch_schema = batch["requestBody"]["content"]["application/json"]["schema"]
    assert single_schema["type"] == "object"
    assert "race_id" in single_schema["required"]
    assert batch_schema["type"] == "array"
    assert batch_schema["items"]["type"] == "object"
    for operation in (single, batch):
        assert {"200", "401", "403", "413", "422", "429"} <= set(operation["responses"])
    assert paths["/v1/connect/events"]["get"]["security"] == [{"APIKeyHeader": []}]

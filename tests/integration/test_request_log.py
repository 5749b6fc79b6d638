"""Request logging: one structured line per request with an id; secrets never logged."""

import json
import logging

from startline.http.logging import JsonFormatter, redact_query


def test_redact_query_hides_secret_values():
    query = (
        "api_key=k&api_secret=S3CRET&tmp_secret=T&protected_api_signature=1.2.abc.def"
        "&password=pw&format=json"
    )
    redacted = redact_query(query)
    for secret in ("S3CRET", "tmp_secret=T&", "1.2.abc.def", "pw&"):
        assert secret not in redacted
    assert "api_key=k" in redacted and "format=json" in redacted


def test_request_id_is_echoed_or_generated(client):
    echoed = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id\twith junk"})
    assert generated.headers["x-request-id"] not in ("", "bad id\twith junk")


def test_access_log_line_has_no_secrets(client, caplog):
    caplog.set_level(logging.INFO, logger="startline.access")
    client.get(
        "/healthz?api_key=k&api_secret=TOPSECRET&tmp_secret=TMPSECRET",
        headers={
            "X-RSU-API-SECRET": "HEADERSECRET",
            "Authorization": "1|TOKENSECRET",
            "X-Request-ID": "rid-1",
        },
    )
    records = [r for r in caplog.records if r.name == "startline.access"]
    assert records
    line = JsonFormatter().format(records[-1])
    entry = json.loads(line)
    assert entry["request_id"] == "rid-1" and entry["status"] == 200
    for secret in ("TOPSECRET", "TMPSECRET", "HEADERSECRET", "TOKENSECRET"):
        assert secret not in line

"""Request logging: one structured line per request with an id; secrets never logged."""

import json
import logging
import os
import re
import subprocess
import sys

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


def test_json_record_has_milliseconds_pid_and_the_traceback_in_one_field():
    try:
        raise RuntimeError(
            "duplicate key value violates unique constraint\n"
            "DETAIL:  Key (chip_code)=(PRIVATE1) already exists.\n[SQL: INSERT ...]"
        )
    except RuntimeError:
        import sys

        record = logging.LogRecord(
            "startline.errors", logging.ERROR, __file__, 1, "unhandled error", (), sys.exc_info()
        )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", entry["time"])
    assert entry["pid"] == os.getpid() and entry["level"] == "error"
    assert entry["exception"].startswith("Traceback") and "RuntimeError" in entry["exception"]
    assert "PRIVATE1" not in line  # PostgreSQL's DETAIL quotes the row


def test_uvicorn_and_library_lines_are_json_after_configure_logging():
    program = (
        "import logging, warnings\n"
        "from startline.http.logging import configure_logging\n"
        "configure_logging('info')\n"
        "logging.getLogger('uvicorn.error').info('Started server process [%d]', 42)\n"
        "logging.getLogger('sqlalchemy.pool').warning('pool trouble')\n"
        "warnings.warn('deprecated thing')\n"
        "try:\n"
        "    1 / 0\n"
        "except ZeroDivisionError:\n"
        "    logging.getLogger('uvicorn.error').exception('Exception in ASGI application')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    )
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert [line["logger"] for line in lines] == [
        "uvicorn.error",
        "sqlalchemy.pool",
        "py.warnings",
        "uvicorn.error",
    ]
    assert lines[0]["message"] == "Started server process [42]"
    assert "ZeroDivisionError" in lines[-1]["exception"]

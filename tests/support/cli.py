"""Checking CLI results: JSON on success, one `error:` line (and no traceback) on failure."""

import json


def ok_json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def fails_with(result, text: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.output.strip().startswith("error:"), result.output
    assert text in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output

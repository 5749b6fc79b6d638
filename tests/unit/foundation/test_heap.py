"""The served app settles the garbage collector once started (`gc.freeze`), so full
collections no longer walk the start-up heap in the middle of requests; apps built by
`create_app` alone (tests, embedding) leave the collector as it is."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import TEST_SECRET_KEY

_PROBE = """
import gc, json
from fastapi.testclient import TestClient
from startline.app import app_from_environment, create_app
from startline.settings import Settings
before = gc.get_freeze_count()
with TestClient(create_app(Settings())):
    built = gc.get_freeze_count()
with TestClient(app_from_environment()) as client:
    served = gc.get_freeze_count()
    status = client.get("/healthz").status_code
print(json.dumps({"before": before, "built": built, "served": served, "status": status}))
"""


def test_served_app_freezes_the_startup_heap(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("STARTLINE_")},
        "STARTLINE_DATA_DIR": str(tmp_path / "data"),
        "STARTLINE_SECRET_KEY": TEST_SECRET_KEY,
        "STARTLINE_WEBHOOK_SENDER": "false",
    }
    finished = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, env=env, timeout=120
    )
    assert finished.returncode == 0, finished.stderr
    seen = json.loads(finished.stdout.strip().splitlines()[-1])
    assert seen["before"] == 0
    assert seen["built"] == 0
    assert seen["served"] > 10_000  # the framework and the app, at least
    assert seen["status"] == 200

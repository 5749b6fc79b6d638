"""Two clients create races with one url_string at the same moment, over real HTTP against a
served app: exactly one race exists and the other client gets 202/216."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select

from startline.domain.races.models import Race
from tests.contract.runsignup.conftest import race_doc
from tests.support.server import serve_in_thread


@pytest.fixture
def served(app):  # type: ignore[no-untyped-def]
    with serve_in_thread(app) as base_url:
        yield base_url


def _create(rsu, served: str, barrier: threading.Barrier, url: str, name: str) -> dict:
    params = {**rsu.auth_query(), "format": "json", "protected_api_signature": rsu.signature()}
    files = {
        "request_format": (None, "json"),
        "request": (None, json.dumps(race_doc(url, name=name))),
    }
    with httpx.Client(base_url=served, timeout=30) as http:
        barrier.wait()
        return http.post("/rest/race", params=params, files=files).json()


@pytest.mark.parametrize("attempt", range(3))
def test_concurrent_creates_with_one_url_string(rsu, served, db, attempt):
    url = f"SameUrl{attempt}"
    barrier = threading.Barrier(2)
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(_create, rsu, served, barrier, url, n) for n in ("One", "Two")]
        results = [f.result() for f in futures]
    winners = [r for r in results if "race" in r]
    losers = [r for r in results if "error" in r]
    assert len(winners) == 1 and len(losers) == 1, results
    error = losers[0]["error"]
    assert error["error_code"] == 202
    assert [d["error_code"] for d in error["error_details"]] == [216]
    with db.reading() as session:
        count = session.execute(
            select(func.count()).select_from(Race).where(Race.url_key == url.lower())
        ).scalar_one()
    assert count == 1

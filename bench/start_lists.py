"""The start-list scenario: timing software reading a whole start list from RunSignup's
participant GET (50,000 runners of two events in pages of 2,500), as its clients page it:
by `page` until a page comes back short (JSON, the target), by `after_registration_id`
(JSON), and by `page` in XML (for comparison).

The runners are seeded straight into the database, each with its own registration time (the
worst case for the answer's per-runner date work: a start list imported in one batch shares
one timestamp)."""

from __future__ import annotations

import re
import signal
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from bench import client, spy
from bench.server import Server

RUNNERS = 50_000
PAGE = 2_500
_REGISTRATION_ID = re.compile(rb'"registration_id":([0-9]+)')
COLUMNS = (
    "edition_id",
    "event_id",
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
    "origin",
    "search_text",
    "last_change",
    "created_at",
    "updated_at",
)


def seed(database_url: str, edition_id: int, event_ids: list[int], count: int = RUNNERS) -> None:
    """`count` runners over the events, registered one second apart (SQLite: the app's
    storage format for timestamps, naive UTC text)."""
    from startline.db.engine import make_engine

    engine = make_engine(database_url)
    raw = engine.raw_connection()
    try:
        sqlite = engine.dialect.name == "sqlite"
        start = datetime(2026, 1, 1, tzinfo=UTC)
        rows: list[tuple[Any, ...]] = []
        for i in range(count):
            stamp: Any = start + timedelta(seconds=i, microseconds=i % 1000)
            if sqlite:
                stamp = stamp.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
            born = date(1950 + i % 55, 1 + i % 12, 1 + i % 28)
            rows.append(
                (
                    edition_id,
                    event_ids[i % len(event_ids)],
                    f"list{i}",
                    str(i + 1) if i % 10 else f"A{i}",  # some bibs are not numbers
                    f"L{i:06d}",
                    f"Runner{i}",
                    f"Number {i}",
                    "nl",
                    "Bench Team" if i % 3 else None,
                    born.isoformat() if sqlite else born,
                    ("male", "female", "neutral")[i % 3],
                    "before",
                    "tracx",
                    f"runner{i} number {i}",
                    "created",
                    stamp,
                    stamp,
                )
            )
        mark = "?" if sqlite else "%s"
        statement = (
            f"INSERT INTO participants ({', '.join(COLUMNS)}) "  # noqa: S608 (fixed names)
            f"VALUES ({', '.join([mark] * len(COLUMNS))})"
        )
        cursor = raw.cursor()
        cursor.executemany(statement, rows)
        raw.commit()
    finally:
        raw.close()
        engine.dispose()


def _path(race_id: int, event_ids: list[int], creds: dict[str, Any], **params: str) -> str:
    query = {
        "api_key": creds["api_key"],
        "api_secret": creds["api_secret"],
        "event_id": ",".join(str(e) for e in event_ids),
        "results_per_page": str(PAGE),
        **params,
    }
    return f"/rest/race/{race_id}/participants?{urlencode(query)}"


def _count(body: bytes, fmt: str) -> int:
    marker = b'"registration_id":' if fmt == "json" else b"<registration_id>"
    return body.count(marker)


def read_whole_list(
    server: Server, race_id: int, event_ids: list[int], creds: dict[str, Any], mode: str
) -> dict[str, Any]:
    """One client reading the whole list; (seconds, runners seen, requests, problem)."""
    fmt = "xml" if mode == "xml" else "json"
    seen = requests = 0
    after = 0
    problem = ""
    started = time.perf_counter()
    page = 1
    while True:
        params = {"format": fmt, "sort": "registration_id ASC"}
        if mode == "after":
            params["after_registration_id"] = str(after)
        else:
            params["page"] = str(page)
        status, body, _ = client.request(
            server.base_url, "GET", _path(race_id, event_ids, creds, **params)
        )
        requests += 1
        if status != 200 or (fmt == "json" and not body.startswith(b"[{")):
            problem = f"HTTP {status}: {body[:200]!r}"
            break
        got = _count(body, fmt)
        seen += got
        if got < PAGE:  # RunSignup's advice: the next page only after a full one
            break
        if mode == "after":  # runners come grouped per event: the largest id of the page
            after = max(int(i) for i in _REGISTRATION_ID.findall(body))
        page += 1
    return {
        "seconds": time.perf_counter() - started,
        "seen": seen,
        "requests": requests,
        "problem": problem,
    }


MODES = (("by page", "page"), ("by after_registration_id", "after"), ("XML by page", "xml"))


def run(ctx: Any, server: Server) -> None:
    """Each way of reading the whole list once, as a row of the report."""
    target = ctx.targets["list"]
    for label, mode in MODES:
        row: dict[str, Any] = {"scenario": f"participants GET {RUNNERS} {label}", "workers": 1}
        recorder = None
        if ctx.options.profile_dir is not None and mode == "page":
            out = ctx.options.profile_dir / f"{ctx.kind}-participants-get.collapsed"
            recorder = (out, spy.start(server.pids()[-1], 60, out))
        server.start_sampling()
        try:
            outcome = read_whole_list(server, target.race_id, target.event_ids, ctx.creds, mode)
        finally:
            rss = server.stop_sampling()
        if recorder is not None and recorder[1] is not None:
            recorder[1].send_signal(signal.SIGINT)  # py-spy writes its output on Ctrl-C
            recorder[1].wait(timeout=60)
            if recorder[0].exists():
                summary = recorder[0].with_suffix(".txt")
                summary.write_text(spy.summarise(recorder[0]))
                row["profile"] = str(summary)
        if outcome["problem"].startswith(("HTTP 404", "HTTP 405")):
            ctx.add({**row, "status": "not available", "detail": outcome["problem"]})
            return
        ok = not outcome["problem"] and outcome["seen"] == RUNNERS
        ctx.add(
            {
                **row,
                "status": "ok" if ok else "failed",
                "rows": outcome["seen"],
                "requests": outcome["requests"],
                "seconds": outcome["seconds"],
                "rows_per_s": outcome["seen"] / outcome["seconds"],
                "server_cpu_s": server.cpu_used,
                "machine_busy": server.machine_busy,
                "rss_mb": rss / 2**20,
                "errors": 0 if ok else 1,
                **({} if ok else {"detail": outcome["problem"] or f"saw {outcome['seen']}"}),
            }
        )

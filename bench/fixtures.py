"""What the scenarios need before a server starts: a database, credentials (via the
`startline` CLI), races/editions/events inserted directly with the domain models, seeded
runners, and precomputed race POST requests (each signature nonce works only once)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.server import startline_command

STATES = ("before", "during", "paused", "resumed", "after", "finished")


def server_env(
    database_url: str,
    data_dir: Path,
    *,
    log_level: str = "warning",
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The servers' environment: none of the caller's STARTLINE_* settings (a run must not
    depend on the shell it starts from), the bench's own, then `extra` (--server-env)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("STARTLINE_")}
    env.update(
        STARTLINE_DATABASE_URL=database_url,
        STARTLINE_DATA_DIR=str(data_dir),
        STARTLINE_SECRET_KEY="bench-" + hashlib.sha256(str(data_dir).encode()).hexdigest(),
        STARTLINE_ENABLE_BENCH_ROUTES="1",
        STARTLINE_RACE_CREATE_LIMIT="0",
        STARTLINE_LOG_LEVEL=log_level,
    )
    env.update(extra or {})
    return env


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [*startline_command(), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"startline {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def demo_credentials(env: dict[str, str]) -> dict[str, Any]:
    """Admin user, API key, signing identity and an all-permissions connect token (on a
    database other than the embedded SQLite only when asked for)."""
    embedded = env["STARTLINE_DATABASE_URL"].startswith("sqlite")
    flags = () if embedded else ("--allow-non-embedded",)
    return dict(json.loads(cli(env, "demo", "--json", *flags)))


@dataclass
class Target:
    """One edition (Tracx event) with its events (Tracx races)."""

    race_id: int
    edition_id: int
    event_ids: list[int]


def create_targets(
    database_url: str, owner_id: int, names: list[str], events_per_edition: int = 2
) -> dict[str, Target]:
    """A race with one edition per name (so scenarios never share chips or bibs)."""
    import startline.domain.models  # noqa: F401 (every table, so foreign keys resolve)
    from startline.db.engine import Database
    from startline.domain.races.models import Edition, Event, Race

    database = Database(database_url)
    targets: dict[str, Target] = {}
    try:
        with database.transaction() as session:
            for name in names:
                url = f"bench-{name}-{secrets.token_hex(4)}"
                race = Race(
                    name=f"Bench {name}",
                    url_string=url,
                    url_key=url.lower(),
                    city="Moorestown",
                    state="NJ",
                    country_code="US",
                    timezone="America/New_York",
                    owner_id=owner_id,
                )
                edition = Edition(race=race)
                for k in range(events_per_edition):
                    edition.events.append(
                        Event(
                            name=f"{k + 1}K",
                            start_time=datetime(2027, 6, 7, 8, k % 60),
                            event_type="running_race",
                            distance=float(k + 1),
                            distance_units="K",
                        )
                    )
                session.add(race)
                session.flush()
                targets[name] = Target(race.id, edition.id, [e.id for e in edition.events])
    finally:
        database.dispose()
    return targets


def participant(i: int, prefix: str, event_ids: list[int], state: str = "before") -> dict[str, Any]:
    """Runner i of a scenario, as a Tracx client sends it; same shape as the Lua bodies."""
    return {
        "unique_id": f"{prefix.lower()}{i}",
        "first_name": "Runner",
        "last_name": f"Number {i}",
        "country_code": "nl",
        "team_name": "Bench Team",
        "date_of_birth": "1990-05-17",
        "start_number": str(i + 1),
        "chip_code": f"{prefix.upper()}{i:06d}",
        "gender": "female" if i % 2 else "male",
        "state": state,
        "race_id": event_ids[i % len(event_ids)],
    }


def race_document(url_string: str, events: int) -> dict[str, Any]:
    return {
        "name": f"Bench race {url_string}",
        "url_string": url_string,
        "draft_race": "F",
        "timezone": "America/New_York",
        "contact_email": "director@example.com",
        "address": {
            "street": "300 Mill St.",
            "city": "Moorestown",
            "state": "NJ",
            "zipcode": "08057",
            "country_code": "US",
        },
        "events": [
            {
                "name": f"Event {k + 1}",
                "start_time": f"2027-06-07 {7 + k // 6:02d}:{k % 6 * 10:02d}",
                "event_type": "running_race",
                "distance": str(k + 1),
                "distance_units": "K",
            }
            for k in range(events)
        ],
    }


def signature(signing_id: int | str, secret: str, ts: int, nonce: str) -> str:
    message = f"{signing_id}.{ts}.{nonce}."
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha1).hexdigest()
    return f"{message}{digest}"


def race_post_path(creds: dict[str, Any], nonce: str, ts: int | None = None) -> str:
    ts = int(time.time()) if ts is None else ts
    query = urlencode(
        {
            "format": "json",
            "api_key": creds["api_key"],
            "api_secret": creds["api_secret"],
            "protected_api_signature": signature(
                creds["signing_id"], creds["signing_secret"], ts, nonce
            ),
        }
    )
    return "/rest/race?" + query


def write_race_posts(path: Path, creds: dict[str, Any], count: int, events: int, tag: str) -> None:
    """`count` lines "<path>\\t<race JSON>", each with its own nonce and url_string; the
    timestamp is now, so the file must be used within the signature window (5 minutes)."""
    ts = int(time.time())
    prefix = secrets.token_hex(2)[:3]  # distinct nonces across files of one run
    with path.open("w") as out:
        for n in range(count):
            nonce = f"{prefix}{n:05x}"
            document = race_document(f"b{tag}r{n}", events)
            out.write(
                race_post_path(creds, nonce, ts)
                + "\t"
                + json.dumps(document, separators=(",", ":"))
                + "\n"
            )

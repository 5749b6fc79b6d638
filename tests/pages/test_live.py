"""The live signal over real HTTP: a change is signalled, Last-Event-ID resumes, a flood is
coalesced, a restore asks for a reload, streams end when the server stops, and a change
made through one server process reaches a page served by another."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from startline.app import create_app
from startline.db.engine import Database
from startline.domain.changes.models import JournalState
from startline.settings import Settings
from tests.pages.serving import EventStream, serve_in_thread
from tests.pages.world import PageWorld, make_world, runner, write
from tests.support.server import running_server

API = "/public/v1"


@pytest.fixture
def live(settings: Settings, db: Database) -> Iterator[str]:
    app = create_app(settings.model_copy(update={"pages_keepalive_seconds": 0.5}), database=db)
    with serve_in_thread(app) as base_url:
        yield base_url


def _cursor(base_url: str, world: PageWorld) -> str:
    response = httpx.get(f"{base_url}{API}/editions/{world.edition_id}/runners")
    return str(response.json()["cursor"])


def _stream(base_url: str, world: PageWorld, **headers: str) -> EventStream:
    return EventStream(f"{base_url}{API}/editions/{world.edition_id}/stream", headers=headers)


def test_a_change_is_signalled_and_last_event_id_resumes(live: str, db: Database) -> None:
    world = make_world(db)
    ev = world.event_ids[0]
    write(db, world, runner(1, ev))
    cursor = _cursor(live, world)
    epoch = cursor.rpartition(".")[0]

    stream = _stream(live, world, **{"Last-Event-ID": cursor})
    first = stream.next(5, comments=True)
    assert first is not None and first.comment == "connected" and stream.status == 200
    assert stream.next(1) is None  # nothing changed after the cursor
    write(db, world, runner(1, ev, state="during"))
    signal_ = stream.next(5)
    assert signal_ is not None and signal_.name == "changed"
    position = signal_.data["position"]
    assert signal_.data["edition_id"] == world.edition_id
    assert signal_.id == f"{epoch}.{position}" and position > int(cursor.rpartition(".")[2])
    stream.close()

    # Missed while away: told at once on reconnecting with the last id seen.
    write(db, world, runner(1, ev, state="finished"))
    resumed = _stream(live, world, **{"Last-Event-ID": signal_.id})
    caught_up = resumed.next(5)
    assert caught_up is not None and caught_up.name == "changed"
    assert caught_up.data["position"] > position
    resumed.close()

    # Up to date: only keep-alive comments.
    current = _stream(live, world, **{"Last-Event-ID": caught_up.id or ""})
    comments = [current.next(3, comments=True) for _ in range(2)]
    assert [c.comment if c else None for c in comments] == ["connected", "keep-alive"]
    current.close()


def test_a_flood_of_writes_is_signalled_at_most_about_twice_a_second(
    live: str, db: Database
) -> None:
    world = make_world(db)
    ev = world.event_ids[0]
    write(db, world, *[runner(n, ev) for n in range(1, 4)])
    stream = _stream(live, world, **{"Last-Event-ID": _cursor(live, world)})
    assert stream.next(5, comments=True) is not None
    started = time.monotonic()
    states = ["during", "paused", "resumed", "finished"]
    for step in range(30):
        write(db, world, runner(1 + step % 3, ev, state=states[step % 4]))
        time.sleep(0.05)
    signals = []
    while (event := stream.next(1.5)) is not None:
        signals.append(event)
    elapsed = time.monotonic() - started
    assert signals and all(s.name == "changed" for s in signals)
    # One signal per 0.5 s at most (plus the first); a slow machine only sends fewer.
    assert len(signals) <= elapsed / 0.5 + 1
    positions = [s.data["position"] for s in signals]
    assert positions == sorted(set(positions))
    stream.close()


def test_a_restored_journal_asks_the_page_to_reload(live: str, db: Database) -> None:
    world = make_world(db)
    stale = _stream(live, world, **{"Last-Event-ID": "0000000000000000.5"})
    event = stale.next(5)
    assert event is not None and event.name == "reload"
    stale.close()

    stream = _stream(live, world, **{"Last-Event-ID": _cursor(live, world)})
    assert stream.next(5, comments=True) is not None
    with db.transaction() as session:
        session.execute(update(JournalState).values(epoch="feedfacefeedface"))
    event = stream.next(5)
    assert event is not None and event.name == "reload"
    stream.close()


def test_unknown_and_private_editions_have_no_stream(live: str, db: Database) -> None:
    response = httpx.get(f"{live}{API}/editions/999/stream")
    assert response.status_code == 404


def test_streams_end_when_the_server_stops(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    world = make_world(db)
    with running_server(settings, tmp_path / "server") as server:
        stream = _stream(server.base_url, world)
        assert stream.next(10, comments=True) is not None
        stopping = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        assert stream.ended.wait(8), "the stream outlived the shutdown"
        server.process.wait(10)
        # Well before uvicorn's 10 s grace period: the streams were told, not cancelled.
        assert time.monotonic() - stopping < 8
        stream.close()


@pytest.mark.slow
def test_a_change_through_one_process_reaches_a_page_of_another(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    world = make_world(db)
    with (
        running_server(settings, tmp_path / "a") as writer,
        running_server(settings, tmp_path / "b") as reader,
    ):
        cursor = _cursor(reader.base_url, world)
        stream = _stream(reader.base_url, world, **{"Last-Event-ID": cursor})
        assert stream.next(10, comments=True) is not None
        pushed = httpx.post(
            f"{writer.base_url}/v1/connect/participant",
            headers={"Authorization": world.token},
            json={
                "unique_id": "77",
                "first_name": "Remote",
                "last_name": "Runner",
                "date_of_birth": "2001-01-01",
                "start_number": "77",
                "chip_code": "0000077",
                "race_id": world.event_ids[0],
            },
        )
        assert pushed.status_code in (200, 201), pushed.text
        signal_ = stream.next(5)
        assert signal_ is not None and signal_.name == "changed"
        since = cursor.rpartition(".")[2]
        delta = httpx.get(
            f"{reader.base_url}{API}/editions/{world.edition_id}/changes", params={"since": since}
        ).json()
        assert [r["bib"] for r in delta["runners"]] == ["77"]
        stream.close()

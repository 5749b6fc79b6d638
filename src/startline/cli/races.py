"""`startline races`: every race with its editions and events (the ids other commands take),
and the per-race switch of the public race pages."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from startline.cli.database import admin_session, run
from startline.cli.options import JsonFlag, command_group
from startline.cli.output import emit_list

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from startline.domain.races.inputs import EditionView, EventView
    from startline.domain.races.read import RaceEntry
    from startline.settings import Settings

app = command_group("Races.")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="races")


class Switch(StrEnum):
    on = "on"
    off = "off"


@app.command("public")
def races_public(
    race_id: Annotated[int, typer.Argument(metavar="RACE", help="The race id.")],
    switch: Annotated[Switch, typer.Argument(metavar="on|off")],
    as_json: JsonFlag = False,
) -> None:
    """Show (on, the default) or hide (off) a race's public pages. Drafts are never shown."""
    from startline.domain.public.races import set_public

    def action(session: Session, settings: Settings) -> dict[str, Any]:
        done = set_public(session, race_id=race_id, public=switch is Switch.on)
        return {
            "race_id": done.race_id,
            "public": done.public,
            "changed": done.changed,
            "shown": done.shown and settings.public_pages,
            "url": settings.base_url.rstrip("/") + done.path,
        }

    run(action, as_json=as_json, title="race pages")


@app.command("list")
def races_list(as_json: JsonFlag = False) -> None:
    """List every race (drafts too) with its editions and their events: the ids that
    `--edition` and `--event` take. Times are local to each race's timezone."""
    from startline.domain.races.read import all_races

    with admin_session() as (session, settings):
        races = all_races(session.connection())
    if as_json:
        documents = [_race_document(race, public_pages=settings.public_pages) for race in races]
        emit_list(documents, as_json=True, columns=(), empty="")
        return
    columns = (
        ("race_id", "race"),
        ("name", "name"),
        ("draft", "draft"),
        ("public", "public"),
        ("edition_id", "edition"),
        ("dates", "dates"),
        ("event_id", "event"),
        ("event", "event name"),
        ("start", "starts"),
    )
    emit_list(_table_rows(races), as_json=False, columns=columns, empty="(no races)")


def _race_document(race: RaceEntry, *, public_pages: bool) -> dict[str, Any]:
    """One race as `races list --json` prints it (`public` and `shown` as `races public`
    reports them: the switch, and whether the pages show the race now)."""
    return {
        "race_id": race.id,
        "name": race.name,
        "draft": race.is_draft,
        "public": race.is_public,
        "shown": race.is_public and not race.is_draft and public_pages,
        "timezone": race.timezone,
        "editions": [
            {
                "edition_id": edition.id,
                "start_date": _day(edition.first_start),
                "end_date": _day(edition.last_finish),
                "events": [_event_document(event) for event in edition.events],
            }
            for edition in race.editions
        ],
    }


def _event_document(event: EventView) -> dict[str, Any]:
    return {
        "event_id": event.id,
        "name": event.name,
        "start_time": event.start_time.isoformat(),
        "end_time": event.end_time.isoformat() if event.end_time else None,
        "event_type": event.event_type,
        "distance": event.distance,
        "distance_units": event.distance_units,
    }


def _day(moment: datetime | None) -> str | None:
    return moment.date().isoformat() if moment else None


def _table_rows(races: list[RaceEntry]) -> list[dict[str, Any]]:
    """One line per event, the race's and the edition's cells only on their first line, so
    the table reads as a tree; a race or an edition without events gets a line of its own."""
    rows: list[dict[str, Any]] = []
    for race in races:
        race_cells: dict[str, Any] = {
            "race_id": race.id,
            "name": race.name,
            "draft": race.is_draft,
            "public": race.is_public,
        }
        for edition in race.editions or (None,):
            edition_cells = {} if edition is None else _edition_cells(edition)
            for event in edition.events if edition and edition.events else (None,):
                rows.append({**race_cells, **edition_cells, **_event_cells(event)})
                race_cells, edition_cells = {}, {}
    return rows


def _edition_cells(edition: EditionView) -> dict[str, Any]:
    first, last = _day(edition.first_start), _day(edition.last_finish)
    return {"edition_id": edition.id, "dates": first if first == last else f"{first} to {last}"}


def _event_cells(event: EventView | None) -> dict[str, Any]:
    if event is None:
        return {}
    return {
        "event_id": event.id,
        "event": event.name,
        "start": event.start_time.isoformat(sep=" ", timespec="minutes"),
    }

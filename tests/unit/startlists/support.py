"""Helpers for start-list tests: importing bytes, reading an edition back, the journal."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import func, select

from startline.db.engine import Database
from startline.domain.changes.models import Change
from startline.domain.participants.reading import participants_of_edition
from startline.startlists.exporting import export_chunks
from startline.startlists.importing import ImportOptions, ImportReport, import_start_list

STORED = (
    "unique_id",
    "start_number",
    "chip_code",
    "first_name",
    "last_name",
    "date_of_birth",
    "gender",
    "country_code",
    "team_name",
    "state",
    "event_id",
    "origin",
)


def run_import(db: Database, data: bytes | str, edition_id: int, **options: Any) -> ImportReport:
    raw = data.encode() if isinstance(data, str) else data
    return import_start_list(db, io.BytesIO(raw), ImportOptions(edition_id=edition_id, **options))


def runners(db: Database, edition_id: int) -> dict[str, dict[str, Any]]:
    """The edition's runners by unique_id, every stored field and updated_at."""
    with db.reading() as session:
        return {
            p.unique_id: {
                **{name: getattr(p, name) for name in STORED},
                "id": p.id,
                "updated_at": p.updated_at,
            }
            for p in participants_of_edition(session, edition_id=edition_id)
        }


def journal_size(db: Database) -> int:
    with db.reading() as session:
        return session.execute(select(func.count()).select_from(Change)).scalar_one()


def exported(db: Database, edition_id: int, **options: Any) -> bytes:
    return b"".join(export_chunks(db, edition_id=edition_id, **options))

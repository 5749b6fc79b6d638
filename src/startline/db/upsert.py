"""`INSERT ... ON CONFLICT` for the database in use (SQLite and PostgreSQL share the syntax,
SQLAlchemy gives each its own construct)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_for(session: Session, table: Any) -> Any:
    """An insert construct with `.on_conflict_do_update/nothing` for this session's database."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database: {name}")

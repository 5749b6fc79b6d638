"""What `/healthz` and `/readyz` ask of the database: liveness is a read (the schema
revision); readiness adds the schema being this version's, a write that is rolled back, and
on SQLite room to grow (free space beside the file, and SQLite's own page limit)."""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Integer, LargeBinary, insert, text
from sqlalchemy.orm import Mapped, mapped_column

from startline.db.base import Base
from startline.db.engine import Database
from startline.db.unavailable import database_unavailable

logger = logging.getLogger("startline.health")

# Below this much free space on the database's file system a SQLite node is not ready: a
# 50,000-runner batch writes some tens of MB to the write-ahead log before its checkpoint.
MIN_FREE_BYTES = 64 * 1024 * 1024
# How long the probe waits for another writer (a long batch) before it reports "busy".
WRITE_WAIT_SECONDS = 2.0


class ReadinessProbe(Base):
    """Never holds a committed row: `/readyz` inserts into it and rolls back."""

    __tablename__ = "readiness_probe"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payload: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


_PROBE_INSERT = insert(ReadinessProbe)


@dataclass
class Report:
    """The checks' outcomes, as `/healthz` and `/readyz` show them."""

    ok: bool = True
    checks: dict[str, str | None] = field(default_factory=dict)

    def fail(self, check: str, value: str) -> None:
        self.ok = False
        self.checks[check] = value


def schema_revision(db: Database) -> str | None:
    """The database's Alembic revision, read in a read transaction."""
    with db.reading() as session:
        return session.execute(text("SELECT version_num FROM alembic_version")).scalar()


def liveness(db: Database) -> Report:
    """The database answers a read."""
    report = Report(checks={"database": "ok"})
    try:
        schema_revision(db)
    except Exception as exc:
        _log_problem("liveness", exc)
        report.fail("database", "unreachable")
    return report


def readiness(db: Database, expected_revision: str | None) -> Report:
    """The node can serve writes of this version: database readable, schema current, a
    write accepted (rolled back), disk not (nearly) full."""
    report = Report(checks={"database": "ok", "schema_revision": None, "schema": None})
    try:
        revision = schema_revision(db)
    except Exception as exc:
        _log_problem("readiness", exc)
        report.fail("database", "unreachable")
        return report
    report.checks["schema_revision"] = revision
    if revision == expected_revision:
        report.checks["schema"] = "current"
    else:
        report.fail("schema", "different")
    report.checks["write"] = _write_check(db, report)
    path = db.sqlite_file
    if path is not None:
        report.checks["disk"] = "ok"
        _room_to_grow(db, path, report)
    return report


def _room_to_grow(db: Database, path: Path, report: Report) -> None:
    """SQLite writes pages at commit, so a rolled-back write cannot tell a full disk: look
    at the free space, and at whether the file may take one more page."""
    free = shutil.disk_usage(path.parent).free
    if free < MIN_FREE_BYTES:
        logger.warning(
            "readiness: low disk space",
            extra={"fields": {"path": str(path.parent), "free_bytes": free}},
        )
        report.fail("disk", "low")
        return
    try:
        with db.reading() as session:
            pages = session.execute(text("PRAGMA page_count")).scalar() or 0
            limit = session.execute(text("PRAGMA max_page_count")).scalar() or 0
    except Exception as exc:
        _log_problem("readiness", exc)
        report.fail("disk", "unknown")
        return
    if limit and pages >= limit:
        logger.warning("readiness: database at its page limit", extra={"fields": {"pages": pages}})
        report.fail("disk", "full")


def _write_check(db: Database, report: Report) -> str:
    try:
        accepted = db.probe_write(
            _PROBE_INSERT, {"payload": b"probe"}, wait_seconds=WRITE_WAIT_SECONDS
        )
    except Exception as exc:
        _log_problem("readiness", exc)
        report.ok = False
        return "failed"
    # Busy is ready: the node is writing (a long batch), not broken.
    return "ok" if accepted else "busy"


def _log_problem(check: str, exc: Exception) -> None:
    unavailable = database_unavailable(exc)
    reason = unavailable.reason if unavailable else f"{type(exc).__name__}: {exc}".splitlines()[0]
    logger.warning(f"{check}: database check failed", extra={"fields": {"reason": reason}})

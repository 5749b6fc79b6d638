"""Every row of every table, to prove that a hostile request changed nothing.

Left out, because they change on requests that are refused and must change there:
- `used_nonces`: a RunSignup signature that verifies is spent even when the request then
  fails (replay protection: a refused request must not free its nonce for a second try);
- `rate_counters`: every counted request bumps a window (race create limit, Tracx throttle);
- `login_failures`: a wrong password is recorded (the lockout depends on it);
- `temporary_credentials.last_used_at`: each use of a temporary key extends its idle expiry.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from startline.db.engine import Database
from startline.domain.models import Base

VOLATILE_TABLES = frozenset({"used_nonces", "rate_counters", "login_failures"})
VOLATILE_COLUMNS = {"temporary_credentials": frozenset({"last_used_at"})}

Snapshot = dict[str, list[tuple[Any, ...]]]


def snapshot(db: Database) -> Snapshot:
    """Sorted rows of each table, volatile tables and columns left out."""
    rows: Snapshot = {}
    with db.reading() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in VOLATILE_TABLES:
                continue
            skip = VOLATILE_COLUMNS.get(table.name, frozenset())
            columns = [column for column in table.columns if column.name not in skip]
            result = session.execute(select(*columns)).all()
            rows[table.name] = sorted((tuple(row) for row in result), key=repr)
    return rows


def assert_unchanged(before: Snapshot, after: Snapshot) -> None:
    changed = [name for name in before if before[name] != after[name]]
    assert not changed, f"tables changed by a refused request: {changed}"

"""The driver's own connection under a session's transaction, for the measured hot paths (a
race day's single upserts and their journal entries).

A statement sent through SQLAlchemy's Connection spends tens of microseconds of Python on
events, execution contexts and result metadata before and after the driver's own work; on
the single upsert that was a third of the writer's time (bench, issue 15). Statements sent
here are plain SQL with the driver's placeholders (`mark`) and values already in the form
the driver stores; errors are the driver's own (`Driver.integrity_error`)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session, SessionTransaction

_KEY = "startline.driver"  # in Session.info, for the current transaction


@dataclass(frozen=True, slots=True)
class Driver:
    connection: Any  # sqlite3.Connection or psycopg.Connection
    dialect: Dialect
    is_sqlite: bool
    mark: str  # the driver's placeholder: "?" or "%s"
    integrity_error: type[Exception]  # its refusal by a UNIQUE or FOREIGN KEY constraint

    def execute(self, statement: str, parameters: tuple[Any, ...] = ()) -> Any:
        """A cursor over the statement's result."""
        return self.connection.execute(statement, parameters)

    def executemany(self, statement: str, rows: list[tuple[Any, ...]]) -> None:
        cursor = self.connection.cursor()
        try:
            cursor.executemany(statement, rows)
        finally:
            cursor.close()


def driver_of(session: Session) -> Driver:
    """The driver connection of the session's transaction (looked up once per transaction)."""
    found: Driver | None = session.info.get(_KEY)
    if found is None:
        connection = session.connection()
        dialect = connection.dialect
        is_sqlite = dialect.name == "sqlite"
        if is_sqlite:
            integrity_error: type[Exception] = sqlite3.IntegrityError
        else:
            import psycopg  # loaded already by SQLAlchemy's dialect; not at start-up

            integrity_error = psycopg.IntegrityError
        found = Driver(
            connection=connection.connection.driver_connection,
            dialect=dialect,
            is_sqlite=is_sqlite,
            mark="?" if is_sqlite else "%s",
            integrity_error=integrity_error,
        )
        session.info[_KEY] = found
    return found


@event.listens_for(Session, "after_transaction_end")
def _forget_driver(session: Session, transaction: SessionTransaction) -> None:
    # The next transaction may run on another pooled connection.
    if transaction.parent is None:
        session.info.pop(_KEY, None)

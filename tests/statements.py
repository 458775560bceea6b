"""Count the SQL statements a block of code sends (for "no N+1 queries" tests)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import event


@contextmanager
def counting_statements(app: Flask) -> Iterator[list[str]]:
    """Yield a list that fills with every statement sent to the database."""
    engine = app.extensions["relais_engine"]
    statements: list[str] = []

    def _count(_conn, _cursor, statement, _parameters, _context, _executemany):
        # Savepoints are the tests' rolled-back transaction, not the page's work.
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", _count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", _count)

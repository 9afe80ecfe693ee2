"""Killing the database connection in the middle of a run, for real (issue 8).

PostgreSQL: at the n-th statement after `arm(n)`, a second connection calls
`pg_terminate_backend(<this backend>, 5000)` (it returns once the backend is gone), then the statement
goes out on the dead connection — what an administrator, a failover or an OOM kill does to a worker.
SQLite has no server to kill: the statement raises `sqlite3.OperationalError` ("disk I/O error"), which
is how the embedded database reports a lost file.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import Engine, event, text


class StatementKiller:
    def __init__(self, engine: Engine, admin: Engine | None = None):
        self.engine, self.admin = engine, admin
        self.left: int | None = None
        self.seen = 0  # statements since `arm`
        self.fired: str | None = None  # the statement that met the dead connection
        event.listen(engine, "before_cursor_execute", self._hook)

    def arm(self, nth: int) -> None:
        self.left, self.fired, self.seen = nth, None, 0

    def disarm(self) -> str | None:
        """Stop; the statement killed since `arm`, or None when the run had fewer statements."""
        self.left = None
        return self.fired

    def _hook(self, conn, cursor, statement, parameters, context, executemany):
        if self.left is None:
            return
        self.seen += 1
        self.left -= 1
        if self.left:
            return
        self.left, self.fired = None, statement
        if conn.dialect.name == "sqlite":
            raise sqlite3.OperationalError("disk I/O error (injected by the reliability tests)")
        pid = cursor.connection.info.backend_pid
        with self.admin.connect() as admin:
            gone = admin.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid}).scalar()
        assert gone, f"backend {pid} was not terminated"

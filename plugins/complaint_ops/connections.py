"""Our database under Airflow, through Connections (never Airflow's own metadata DB), least privilege.

- `complaints_db`: what every task that writes connects as - on PostgreSQL the application role
  `complaint_ops_app`, which may append to the ledger but never edit or delete it (migration 0006).
- `complaints_db_reporting`: what read-only tasks (data quality) connect as - the reporting role
  `complaint_ops_reporting`, SELECT only. Not defined (the embedded SQLite setup): they read through
  `complaints_db`, with a warning.

Migrations never run through these: `complaint-ops db upgrade` runs as the owner (COMPLAINT_OPS_DB).
Passwords come only from the Connection (or its AIRFLOW_CONN_* variable); Airflow masks them in task
logs, and no URL we build is logged with its password.

The engine is built from the provider hook's SQLAlchemy URL, not `conn.get_uri()` (which says
`postgres://`, a scheme SQLAlchemy refuses), and always with the psycopg 3 driver. A `sqlite`
Connection (host = file path) gives the embedded database.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine, text

from complaint_ops import db

log = logging.getLogger(__name__)

CONN_ID = "complaints_db"
REPORTING_CONN_ID = "complaints_db_reporting"


def engine_from_connection(conn_id: str = CONN_ID) -> Engine:
    from airflow.sdk import BaseHook  # imported here: the CLI and tests need no Airflow

    conn = BaseHook.get_connection(conn_id)
    if conn.conn_type in ("postgres", "postgresql"):
        from airflow.providers.postgres.hooks.postgres import PostgresHook

        url = PostgresHook(postgres_conn_id=conn_id).sqlalchemy_url.set(drivername="postgresql+psycopg")
        return db.make_engine(url.render_as_string(hide_password=False))
    if conn.conn_type == "sqlite":
        path = conn.host or conn.schema
        if not path:
            raise ValueError(f"Connection {conn_id!r} (sqlite) names no database file in its host field")
        return db.make_engine(f"sqlite:///{path}")
    raise ValueError(f"Connection {conn_id!r} has type {conn.conn_type!r}: use postgres or sqlite")


def reporting_engine() -> Engine:
    """The read-only engine: Connection `complaints_db_reporting`, else `complaints_db` (warned)."""
    try:
        return engine_from_connection(REPORTING_CONN_ID)
    except Exception as exc:  # AirflowNotFoundException; its module moved between Airflow versions
        if type(exc).__name__ != "AirflowNotFoundException":
            raise
    log.warning("Connection %r is not defined: reading through %r (define it with the read-only role "
                "complaint_ops_reporting, README \"Database roles\")", REPORTING_CONN_ID, CONN_ID)
    return engine_from_connection(CONN_ID)


def database_role(engine: Engine) -> str | None:
    """Who we are connected as (PostgreSQL `current_user`; None on SQLite), for task summaries."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        return conn.execute(text("SELECT current_user")).scalar()

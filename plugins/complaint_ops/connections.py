"""Our database under Airflow: the Connection `complaints_db` (never Airflow's own metadata DB).

The engine is built from the provider hook's SQLAlchemy URL, not `conn.get_uri()` (which says
`postgres://`, a scheme SQLAlchemy refuses), and always with the psycopg 3 driver. A `sqlite`
Connection (host = file path) gives the embedded database.
"""

from __future__ import annotations

from sqlalchemy import Engine

from complaint_ops import db

CONN_ID = "complaints_db"


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

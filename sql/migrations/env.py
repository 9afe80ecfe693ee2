"""Alembic environment: runs on a connection handed in by `complaint_ops.db.upgrade`, or on the URL
that `complaint-ops` would use (COMPLAINT_OPS_DB / the embedded SQLite file)."""

from alembic import context
from sqlalchemy import pool

config = context.config


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from complaint_ops.db import make_engine

    engine = make_engine(config.get_main_option("sqlalchemy.url") or None, poolclass=pool.NullPool)
    with engine.begin() as conn:
        _run(conn)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=None,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTER needs table rebuilds
        transaction_per_migration=False,
    )
    context.run_migrations()


run_migrations()

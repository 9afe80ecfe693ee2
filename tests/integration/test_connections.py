"""Connection `complaints_db` -> our engine, through the provider hook (postgres://... is accepted)."""

import pytest
from sqlalchemy import text

from complaint_ops.connections import engine_from_connection


def test_engine_from_a_postgres_connection(pg_database, monkeypatch):
    url = pg_database()  # postgresql+psycopg://postgres@127.0.0.1:5432/co_test_x
    monkeypatch.setenv("AIRFLOW_CONN_COMPLAINTS_DB", "postgres://" + url.split("://", 1)[1])
    engine = engine_from_connection()
    assert engine.url.drivername == "postgresql+psycopg"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT current_database()")).scalar() == url.rsplit("/", 1)[1]


def test_engine_from_a_sqlite_connection(tmp_path, monkeypatch):
    path = tmp_path / "c.db"
    monkeypatch.setenv("AIRFLOW_CONN_COMPLAINTS_DB", '{"conn_type": "sqlite", "host": "%s"}' % path)
    engine = engine_from_connection()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    assert path.exists()


def test_unsupported_connection_type_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_COMPLAINTS_DB", '{"conn_type": "mysql", "host": "x"}')
    with pytest.raises(ValueError, match="use postgres or sqlite"):
        engine_from_connection()

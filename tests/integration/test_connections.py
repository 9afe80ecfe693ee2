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


def _as(url: str, role: str) -> str:
    from sqlalchemy import make_url

    return make_url(url).set(drivername="postgres", username=role).render_as_string(hide_password=False)


def test_data_quality_task_reads_as_the_reporting_role_and_mails_ops_as_the_app_role(pg_database, monkeypatch, tmp_path):
    """The daily DAG's read-only task uses Connection complaints_db_reporting (issue 8 part 4)."""
    import datetime as dt

    from complaint_ops import db, tasks

    url = pg_database()
    db.upgrade(db.make_engine(url))
    monkeypatch.setenv("AIRFLOW_CONN_COMPLAINTS_DB", _as(url, "complaint_ops_app"))
    monkeypatch.setenv("AIRFLOW_CONN_COMPLAINTS_DB_REPORTING", _as(url, "complaint_ops_reporting"))
    monkeypatch.setenv("COMPLAINT_OPS_VAR", str(tmp_path))  # ops mail goes to the local capture
    monkeypatch.delenv("COMPLAINT_OPS_SMTP_URL", raising=False)
    summary = tasks.data_quality({"logical_date": dt.datetime(2026, 3, 3, 12, tzinfo=dt.timezone.utc)})
    assert summary["read_as"] == "complaint_ops_reporting"
    assert summary["findings"]["calendar_coverage"] > 0  # an empty calendar: ops are told, as the app role
    with db.make_engine(url).connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM mail_outbox WHERE kind = 'OPS'")).scalar() == 1


def test_without_a_reporting_connection_reads_go_through_complaints_db_with_a_warning(tmp_path, monkeypatch, caplog):
    from complaint_ops.connections import reporting_engine

    monkeypatch.setenv("AIRFLOW_CONN_COMPLAINTS_DB", '{"conn_type": "sqlite", "host": "%s"}' % (tmp_path / "c.db"))
    monkeypatch.delenv("AIRFLOW_CONN_COMPLAINTS_DB_REPORTING", raising=False)
    engine = reporting_engine()
    assert engine.url.database == str(tmp_path / "c.db")
    assert "complaints_db_reporting" in caplog.text and "is not defined" in caplog.text

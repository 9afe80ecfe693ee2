"""The Alembic schema migrates up and down on SQLite and PostgreSQL."""

from sqlalchemy import inspect

from complaint_ops import db


def test_upgrade_creates_every_table_and_reaches_head(db_url):
    eng = db.make_engine(db_url)
    db.upgrade(eng)
    assert db.current_revision(eng) == db.head_revision()
    tables = set(inspect(eng).get_table_names())
    assert {"departments", "teams", "staff", "customers", "complaints", "events", "business_days"} <= tables
    db.require_migrated(eng)  # no error at head


def test_upgrade_twice_is_a_no_op(db_url):
    eng = db.make_engine(db_url)
    db.upgrade(eng)
    db.upgrade(eng)
    assert db.current_revision(eng) == db.head_revision()


def test_downgrade_to_base_and_back(db_url):
    eng = db.make_engine(db_url)
    db.upgrade(eng)
    from alembic import command

    with eng.begin() as conn:
        command.downgrade(db.alembic_config(eng, conn), "base")
    assert "complaints" not in inspect(eng).get_table_names()
    db.upgrade(eng)
    assert "complaints" in inspect(eng).get_table_names()


def test_unmigrated_database_is_a_clear_error(tmp_path):
    import pytest

    eng = db.make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(db.DatabaseError, match="complaint-ops db upgrade"):
        db.require_migrated(eng)

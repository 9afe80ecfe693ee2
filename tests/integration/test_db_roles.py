"""Least privilege on PostgreSQL (issue 8 part 4, L1; migration 0006).

The application role appends to the ledger but the database refuses it an UPDATE, a DELETE or a
TRUNCATE of it (by privilege, before the append-only trigger is reached), and any change of schema;
the reporting role reads and writes nothing. A whole day - import, orders, the daily run, mail,
an approval, a re-run - works as the application role and posts exactly what the owner's run posts;
data quality works as the reporting role. On SQLite the migration does nothing (no roles).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import threading
import uuid

import pytest
from psycopg import errors as pg_errors
from sqlalchemy import inspect, make_url, text
from sqlalchemy.exc import DBAPIError, ProgrammingError

from complaint_ops import approvals, db, intake, mail, ops
from complaint_ops.settings import sql_dir
from tests.factories import NOW, complaint, event
from tests.scenario import Scenario

pytestmark = pytest.mark.pg

APP, REPORTING = "complaint_ops_app", "complaint_ops_reporting"
MIGRATION = sql_dir() / "migrations" / "versions" / "0006_roles.py"


def _migration():
    spec = importlib.util.spec_from_file_location("migration_0006", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def as_role(url: str, role: str):
    return db.make_engine(make_url(url).set(username=role).render_as_string(hide_password=False))


@pytest.fixture
def pg(pg_database):
    """(url, owner engine) of a migrated PostgreSQL database; the owner is the test superuser."""
    url = pg_database()
    owner = db.make_engine(url)
    db.upgrade(owner)
    yield url, owner
    owner.dispose()


def data():
    """External C1 (a loss: severe, waits for approval), C3 overdue since 25 Feb, internal C2 without a reply."""
    return [
        complaint("C1", received_at="2026-02-26T10:00:00+08:00", loss_amount="800.00", customer_id="K3",
                  upheld=True, decided_at="2026-03-03T15:00:00+08:00"),
        complaint("C3", received_at="2026-02-24T10:00:00+08:00", summary="<b>发票</b> 13812345678"),
        event("c3e1", "C3", "E1", "2026-02-24T11:00:00+08:00"),
        complaint("C2", kind="internal", filer_id="HEAD_CS", customer_id=None, received_at="2026-03-03T10:00:00+08:00"),
        event("c2f", "C2", None, "2026-03-03T11:00:00+08:00", event_type="forwarded"),
    ]


def test_the_roles_can_log_in_and_nothing_more(pg):
    _url, owner = pg
    with owner.connect() as conn:
        rows = {r.rolname: r for r in conn.execute(text(
            "SELECT rolname, rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolreplication "
            "FROM pg_roles WHERE rolname IN (:a, :r)"), {"a": APP, "r": REPORTING})}
    assert set(rows) == {APP, REPORTING}
    for r in rows.values():
        assert r.rolcanlogin and not (r.rolsuper or r.rolcreaterole or r.rolcreatedb or r.rolbypassrls or r.rolreplication)


def test_privileges_table_by_table(pg):
    """The whole matrix, from the catalog: nothing granted that the design does not name."""
    _url, owner = pg
    append_only = set(_migration().APPEND_ONLY)
    with owner.connect() as conn:
        tables = inspect(conn).get_table_names() + inspect(conn).get_view_names()
        privileges = {}
        for role in (APP, REPORTING):
            for table in tables:
                privileges[role, table] = {p for p in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES",
                                                       "TRIGGER")
                                           if conn.execute(text("SELECT has_table_privilege(:r, :t, :p)"),
                                                           {"r": role, "t": table, "p": p}).scalar()}
        phone_visible = conn.execute(text("SELECT has_column_privilege(:r, 'customers', 'phone', 'SELECT')"),
                                     {"r": REPORTING}).scalar()
        name_visible = conn.execute(text("SELECT has_column_privilege(:r, 'customers', 'name', 'SELECT')"),
                                    {"r": REPORTING}).scalar()
    assert "ledger" in tables and "alembic_version" in tables and "order_owners" in tables
    for table in tables:
        if table == "alembic_version":
            want = {"SELECT"}
        elif table in append_only:
            want = {"SELECT", "INSERT"}
        else:
            want = {"SELECT", "INSERT", "UPDATE", "DELETE"}
        assert privileges[APP, table] == want, table
        assert privileges[REPORTING, table] == (set() if table == "customers" else {"SELECT"}), table
    assert name_visible and not phone_visible


def _seed_ledger_row(owner) -> int:
    s = Scenario(owner)
    s.load(data())
    s.run("2026-02-24", "2026-03-03")
    with owner.connect() as conn:
        return conn.execute(text("SELECT MIN(id) FROM ledger")).scalar()


def _denied(engine, sql: str, params=None) -> str:
    with pytest.raises((ProgrammingError, DBAPIError)) as err:
        with engine.begin() as conn:
            conn.execute(text(sql), params or {})
    assert isinstance(err.value.orig, pg_errors.InsufficientPrivilege), err.value
    return str(err.value.orig)


def test_app_role_appends_to_the_ledger_but_may_not_edit_delete_or_truncate_it_L1(pg):
    url, owner = pg
    first = _seed_ledger_row(owner)
    app = as_role(url, APP)
    try:
        with owner.connect() as conn:
            row = dict(conn.execute(text("SELECT * FROM ledger WHERE id = :i"), {"i": first}).mappings().one())
        row.update(entry_key="test:appended", id=None)
        with app.begin() as conn:
            conn.execute(db.query("ledger_insert"), {k: v for k, v in row.items() if k != "id"})
        with app.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM ledger WHERE entry_key = 'test:appended'")).scalar() == 1
        # Refused by privilege - "permission denied" - not merely by the append-only trigger.
        for sql in ("UPDATE ledger SET fine_amount = 0 WHERE id = :i", "DELETE FROM ledger WHERE id = :i"):
            assert "permission denied for table ledger" in _denied(app, sql, {"i": first})
        assert "permission denied for table ledger" in _denied(app, "TRUNCATE ledger")
        for table in ("events", "complaint_revisions", "proposal_decisions", "mail_attempts"):
            assert f"permission denied for table {table}" in _denied(app, f"DELETE FROM {table}")
        # No way around it: not the owner, so no trigger switched off, no table dropped or created,
        # no migration marked done.
        _denied(app, "ALTER TABLE ledger DISABLE TRIGGER ledger_no_update_delete")
        _denied(app, "DROP TABLE ledger")
        _denied(app, "CREATE TABLE ledger_copy (id integer)")
        _denied(app, "UPDATE alembic_version SET version_num = '0001'")
        with app.begin() as conn:  # a GRANT by a non-owner grants nothing (PostgreSQL only warns)
            conn.execute(text("GRANT UPDATE, DELETE ON ledger TO complaint_ops_app"))
            assert not conn.execute(text("SELECT has_table_privilege('ledger', 'UPDATE')")).scalar()
    finally:
        app.dispose()


def test_reporting_role_reads_and_writes_nothing(pg):
    url, owner = pg
    _seed_ledger_row(owner)
    reporting = as_role(url, REPORTING)
    try:
        with owner.connect() as conn:
            tables = inspect(conn).get_table_names()
        with reporting.connect() as conn:
            for table in tables:
                if table != "customers":
                    conn.execute(text(f"SELECT * FROM {table} LIMIT 1")).all()
            assert conn.execute(text("SELECT COUNT(*) FROM ledger")).scalar() > 0
            assert conn.execute(text("SELECT id, name FROM customers ORDER BY id LIMIT 1")).one()[0] == "K1"
        assert "permission denied for table customers" in _denied(reporting, "SELECT phone FROM customers")
        for table in tables:
            for sql in (f"INSERT INTO {table} DEFAULT VALUES", f"UPDATE {table} SET {_a_column(owner, table)} = NULL",
                        f"DELETE FROM {table}"):
                assert f"permission denied for table {table}" in _denied(reporting, sql)
        _denied(reporting, "CREATE TABLE mine (id integer)")
        # What it is for: data quality reads as the reporting role, and finds what the owner finds.
        day = dt.date(2026, 12, 1)  # the calendar ends 2026-12-31: a coverage finding
        assert ops.data_quality(reporting, day) == ops.data_quality(owner, day) != []
    finally:
        reporting.dispose()


def _a_column(owner, table: str) -> str:
    with owner.connect() as conn:
        return inspect(conn).get_columns(table)[-1]["name"]


def test_a_whole_day_runs_as_the_app_role_and_posts_what_the_owner_would(pg, pg_database, tmp_path):
    """Calendar, import, orders, the daily run, digests, mail, an approval and a re-run, all as
    complaint_ops_app; the ledger equals the same history run by the owner in another database."""
    url, _owner = pg
    twin_url = pg_database()
    twin = db.make_engine(twin_url)
    db.upgrade(twin)
    app = as_role(url, APP)
    try:
        results = []
        for engine in (app, twin):
            s = Scenario(engine)
            s.load(data())
            s.run("2026-02-24", "2026-03-04", mail="send")
            with engine.connect() as conn:
                proposal = approvals.listing(conn)[0]
            approvals.decide(engine, proposal["id"], "approved", by="GM", at=dt.datetime(2026, 3, 5, 2, tzinfo=dt.timezone.utc))
            s.run("2026-03-05")
            before = s.ledger_content()
            s.run("2026-03-02", "2026-03-05")  # a re-run posts nothing new
            assert s.ledger_content() == before
            sent = mail.drain(engine, now=NOW, transport=mail.CaptureSettings(tmp_path / engine.url.username,
                                                                             mail.default_sender()))
            assert sent.get("sent", 0) > 0 and set(sent) <= {"sent"}
            report = intake.import_records(engine, [complaint("C1", loss_amount="300.00", customer_id="K3", upheld=True,
                                                              decided_at="2026-03-03T15:00:00+08:00")], "correction", now=NOW)
            assert report.updated == 1  # a correction: the complaint row is updated, the old values kept
            s.run("2026-03-06")
            results.append(s.ledger_content())
        assert results[0] == results[1]
        assert {(row[3], row[1]) for row in results[0]} >= {("O1", "charge"), ("P1", "charge")}  # P1: approved (P9)
        with app.connect() as conn:
            assert conn.execute(text("SELECT current_user")).scalar() == APP
    finally:
        app.dispose()
        twin.dispose()


def test_creating_the_roles_is_idempotent_and_safe_when_two_migrations_race(pg):
    """Roles are cluster-wide: several databases migrating at once must not fail on CREATE ROLE."""
    _url, owner = pg
    name = f"co_test_role_{uuid.uuid4().hex[:8]}"
    sql = _migration().create_role_sql(name)
    errors: list[Exception] = []
    barrier = threading.Barrier(4)

    def create():
        try:
            barrier.wait()
            with owner.begin() as conn:
                conn.execute(text(sql))
        except Exception as exc:  # noqa: BLE001 - the test reports it
            errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        with owner.begin() as conn:
            conn.execute(text(sql))  # and once more, when it exists
            assert conn.execute(text("SELECT COUNT(*) FROM pg_roles WHERE rolname = :n"), {"n": name}).scalar() == 1
    finally:
        with owner.begin() as conn:
            conn.execute(text(f'DROP ROLE IF EXISTS "{name}"'))


def test_a_database_owner_without_superuser_rights_migrates_and_grants(pg, pg_server):
    """Production (docker-compose): the roles exist, the database belongs to an ordinary role, and
    that owner runs `complaint-ops db upgrade`."""
    _url, owner = pg  # the roles exist now
    suffix = uuid.uuid4().hex[:8]
    role, database = f"co_test_owner_{suffix}", f"co_test_owned_{suffix}"
    admin = db.make_engine(pg_server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
            conn.execute(text(f'CREATE DATABASE "{database}" OWNER "{role}"'))
        owned_url = make_url(pg_server).set(username=role, database=database).render_as_string(hide_password=False)
        owned = db.make_engine(owned_url)
        db.upgrade(owned)
        with owned.connect() as conn:
            assert conn.execute(text("SELECT has_table_privilege(:r, 'ledger', 'INSERT') "
                                     "AND NOT has_table_privilege(:r, 'ledger', 'UPDATE')"), {"r": APP}).scalar()
        owned.dispose()
        app = as_role(owned_url, APP)
        Scenario(app).load(data())  # the app role can work in it
        app.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


def test_on_sqlite_the_migration_changes_nothing_but_the_revision(sqlite_engine):
    with sqlite_engine.connect() as conn:
        assert db.current_revision(sqlite_engine) == db.head_revision()  # 0006 and later ran
        assert "complaint_ops_app" not in " ".join(r[0] or "" for r in conn.execute(text("SELECT sql FROM sqlite_master")))

"""Shared fixtures.

`engine` is parametrized over SQLite and PostgreSQL: every test that touches SQL runs on both.
PostgreSQL tests get a database of their own (created per test session, dropped after), so runs
never collide. Without a reachable server they skip loudly; on CI (CI=true) they fail instead.
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins"))

# Airflow (imported by DAG and connection tests) gets a home of its own, never ~/airflow.
import tempfile  # noqa: E402

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="co-airflow-home-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(ROOT / "dags"))

from complaint_ops import db  # noqa: E402

PG_ADMIN_URL = os.environ.get("COMPLAINT_OPS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_admin_engine():
    return db.make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


def _pg_reachable() -> str | None:
    try:
        eng = _pg_admin_engine()
        with eng.connect() as conn:
            conn.execute(text("SELECT 1"))
        eng.dispose()
        return None
    except Exception as exc:  # pragma: no cover - depends on the machine
        return str(exc).splitlines()[0]


@pytest.fixture(scope="session")
def pg_server():
    """The admin URL of a reachable PostgreSQL, or a loud skip (a failure on CI)."""
    problem = _pg_reachable()
    if problem:
        message = (
            f"PostgreSQL at {PG_ADMIN_URL} is not reachable ({problem}). Start it with "
            "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`."
        )
        if os.environ.get("CI"):
            pytest.fail("CI must not skip PostgreSQL tests: " + message)
        pytest.skip("SKIPPING POSTGRESQL TESTS: " + message)
    return PG_ADMIN_URL


@pytest.fixture(scope="session")
def pg_database(pg_server):
    """Create a throw-away database; yield its URL; drop it at the end of the session."""
    urls = []

    def make() -> str:
        name = f"co_test_{uuid.uuid4().hex[:12]}"
        admin = _pg_admin_engine()
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
        urls.append((name, url))
        return url

    yield make
    admin = _pg_admin_engine()
    with admin.connect() as conn:
        for name, _ in urls:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """URL of an empty, un-migrated database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'complaints.db'}"
    return request.getfixturevalue("pg_database")()


@pytest.fixture
def engine(db_url):
    """A migrated database (schema at head), SQLite and PostgreSQL."""
    eng = db.make_engine(db_url)
    db.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(tmp_path):
    eng = db.make_engine(f"sqlite:///{tmp_path / 'complaints.db'}")
    db.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def pg_or_sqlite_second(db_url, tmp_path):
    """A second migrated database of the same kind as `engine` (to compare two histories)."""
    if db_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'second.db'}"
    else:
        url = PG_ADMIN_URL and _second_pg(db_url)
    eng = db.make_engine(url)
    db.upgrade(eng)
    yield eng
    eng.dispose()


def _second_pg(url: str) -> str:
    name = f"co_test_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    _SECOND_DATABASES.append(name)
    return url.rsplit("/", 1)[0] + "/" + name


_SECOND_DATABASES: list[str] = []


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Print the suite's figures (tests/figures.py): scenarios, faults, bad inputs, lost/duplicated."""
    from tests import figures

    terminalreporter.section("complaint-ops figures")
    for line in figures.report_lines():
        terminalreporter.write_line(line)
    figures.write(ROOT / "var" / "test-figures.json")


def pytest_sessionfinish(session, exitstatus):
    if not _SECOND_DATABASES:
        return
    admin = _pg_admin_engine()
    with admin.connect() as conn:
        for name in _SECOND_DATABASES:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()

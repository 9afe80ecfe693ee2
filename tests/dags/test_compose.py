"""docker-compose.yaml follows the official Airflow 3 compose file; Docker does not run here, so the
file is checked as data and the init service's commands are run by hand."""

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yaml").read_text(encoding="utf-8"))


def test_services_of_the_official_layout_plus_ours():
    assert set(COMPOSE["services"]) >= {
        "postgres", "redis", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-worker",
        "airflow-triggerer", "airflow-init", "mailpit"}
    commands = {name: s.get("command") for name, s in COMPOSE["services"].items()}
    assert commands["airflow-apiserver"] == "api-server"
    assert commands["airflow-scheduler"] == "scheduler"
    assert commands["airflow-dag-processor"] == "dag-processor"
    assert commands["airflow-worker"] == "celery worker"
    assert commands["airflow-triggerer"] == "triggerer"


def test_every_airflow_container_shares_secrets_executor_and_connections():
    airflow = {n: s for n, s in COMPOSE["services"].items() if n.startswith("airflow-")}
    for name, service in airflow.items():
        env = service["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == "${AIRFLOW__API_AUTH__JWT_SECRET:-}", name
        assert env["AIRFLOW__CORE__FERNET_KEY"] == "${AIRFLOW__CORE__FERNET_KEY:-}", name
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/", name
        assert env["AIRFLOW_CONN_COMPLAINTS_DB"].startswith("postgresql://"), name
        assert env["AIRFLOW_CONN_COMPLAINTS_SMTP"] == "${AIRFLOW_CONN_COMPLAINTS_SMTP:-smtp://mailpit:1025}", name
        assert service["build"] == "." and service["env_file"][0]["path"] == ".env"
    assert "./scripts/postgres-init.sh:/docker-entrypoint-initdb.d/10-complaints.sh:ro" in \
        COMPOSE["services"]["postgres"]["volumes"]


def test_tasks_connect_as_the_least_privileged_roles_and_only_init_knows_the_owner():
    """Issue 8 part 4: the DAGs use complaint_ops_app / complaint_ops_reporting (migration 0006), with
    passwords from the environment; the owner's password (.env.owner) reaches postgres and airflow-init only."""
    from sqlalchemy import make_url

    env = COMPOSE["x-airflow-common"]["environment"]
    app, reporting = make_url(env["AIRFLOW_CONN_COMPLAINTS_DB"]), make_url(env["AIRFLOW_CONN_COMPLAINTS_DB_REPORTING"])
    assert (app.username, app.password) == ("complaint_ops_app", "${COMPLAINT_OPS_APP_DB_PASSWORD:-app-change-me}")
    assert (reporting.username, reporting.password) == (
        "complaint_ops_reporting", "${COMPLAINT_OPS_REPORTING_DB_PASSWORD:-reporting-change-me}")
    assert app.database == reporting.database == "complaints"
    for name, service in COMPOSE["services"].items():
        owner_file = any(f["path"] == ".env.owner" for f in service.get("env_file", []))
        assert owner_file == (name in ("postgres", "airflow-init")), name
        assert "complaints:complaints@" not in str(service.get("environment", {})), name
    assert "postgresql://complaints:$${COMPLAINT_OPS_OWNER_DB_PASSWORD:-complaints}@postgres:5432/complaints" in \
        COMPOSE["services"]["airflow-init"]["command"][1]
    for example, names in ((".env.example", ("COMPLAINT_OPS_APP_DB_PASSWORD=", "COMPLAINT_OPS_REPORTING_DB_PASSWORD=")),
                           (".env.owner.example", ("COMPLAINT_OPS_OWNER_DB_PASSWORD=",))):
        lines = (ROOT / example).read_text().splitlines()
        assert all(n in lines for n in names), example  # present, and empty: no password is committed


def test_the_postgres_init_script_creates_the_roles_with_passwords_from_the_environment(pg_server):
    """scripts/postgres-init.sh, run by psql against the test server with its names made unique."""
    import shutil
    import uuid

    from sqlalchemy import text

    from complaint_ops import db

    if not shutil.which("psql"):
        import pytest

        pytest.skip("psql is not installed")
    suffix = uuid.uuid4().hex[:8]
    names = {"complaint_ops_app": f"co_t_app_{suffix}", "complaint_ops_reporting": f"co_t_rep_{suffix}",
             "complaints": f"co_t_owner_{suffix}"}
    script = (ROOT / "scripts" / "postgres-init.sh").read_text()
    for old, new in names.items():  # longest first: complaint_ops_* before complaints
        script = re.sub(rf"\b(ROLE|DATABASE|OWNER) {old}\b", rf"\1 {new}", script)
    url = __import__("sqlalchemy").make_url(pg_server)
    env = dict(os.environ, POSTGRES_USER=url.username, POSTGRES_DB=url.database, PGHOST=url.host,
               PGPORT=str(url.port or 5432), COMPLAINT_OPS_APP_DB_PASSWORD="a-" + suffix,
               COMPLAINT_OPS_REPORTING_DB_PASSWORD="r-" + suffix)
    env.pop("COMPLAINT_OPS_OWNER_DB_PASSWORD", None)  # the default applies
    admin = db.make_engine(pg_server, isolation_level="AUTOCOMMIT")
    try:
        result = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        with admin.connect() as conn:
            rows = dict(conn.execute(text("SELECT rolname, rolpassword FROM pg_authid WHERE rolname = ANY(:n)"),
                                     {"n": list(names.values())}).all())
            assert set(rows) == set(names.values())
            assert all(p and p.startswith("SCRAM-SHA-256$") for p in rows.values())
            assert conn.execute(text("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = :d"),
                                {"d": names["complaints"]}).scalar() == names["complaints"]
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{names["complaints"]}" WITH (FORCE)'))
            for role in names.values():
                conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


def test_dockerfile_extends_the_official_image_with_our_pins():
    text = (ROOT / "Dockerfile").read_text()
    pin = re.search(r"^apache-airflow==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M).group(1)
    assert f"FROM apache/airflow:{pin}-python3.11" in text
    assert "-r /opt/complaint-ops/requirements.txt" in text


def test_the_init_service_commands_run(tmp_path):
    """What airflow-init runs (airflow db migrate, complaint-ops db upgrade, calendar fill), by hand."""
    script = COMPOSE["services"]["airflow-init"]["command"][1]
    steps = [line.strip() for line in script.splitlines()
             if line.strip().startswith(("airflow ", "complaint-ops "))]
    assert steps == ["airflow db migrate", "complaint-ops db upgrade", "complaint-ops calendar fill", "airflow version"]
    env = dict(os.environ, AIRFLOW_HOME=str(tmp_path / "home"),
               AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{tmp_path / 'airflow.db'}",
               COMPLAINT_OPS_DB=f"sqlite:///{tmp_path / 'complaints.db'}")
    bindir = Path(sys.executable).parent
    for step in steps:
        cmd = step.split()
        result = subprocess.run([str(bindir / cmd[0]), *cmd[1:]], env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, (step, result.stderr[-2000:])

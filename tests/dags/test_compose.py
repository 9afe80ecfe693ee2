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
        assert env["AIRFLOW_CONN_COMPLAINTS_SMTP"].startswith("smtp://mailpit:"), name
        assert service["build"] == "." and service["env_file"][0]["path"] == ".env"
    assert "./scripts/postgres-init.sql:/docker-entrypoint-initdb.d/10-complaints.sql:ro" in \
        COMPOSE["services"]["postgres"]["volumes"]


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

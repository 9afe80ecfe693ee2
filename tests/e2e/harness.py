"""What the end-to-end tests share: Airflow processes as subprocesses (own session, logs to files),
their environment, an SMTP catcher, demo complaint databases, and diagnostics for a failure message.

Nothing here imports Airflow: the tests drive it through its CLI, exactly as an operator would, and
read its metadata database with plain SQL.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, make_url, text

from complaint_ops import business_calendar, daily, db, demo

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DAG_ID = "complaint_ops_daily"
TZ = ZoneInfo("Asia/Shanghai")
DEMO_END = dt.date(2026, 6, 30)
OPS_EMAIL = "ops@e2e.test"
# Signs that a task reached for Airflow's metadata database (blocked in real runs by the task SDK).
METADATA_DB_ERRORS = ("Direct database access", "Database access is disabled", "Access to the Airflow Metadatabase",
                      "airflow-db-not-allowed")
# Settings from the caller's shell that would change what the processes under test do.
_STRIPPED = ("COMPLAINT_OPS_DB", "COMPLAINT_OPS_SMTP_URL", "COMPLAINT_OPS_VAR", "COMPLAINT_OPS_HOME",
             "COMPLAINT_OPS_POLICY", "COMPLAINT_OPS_OPS_EMAIL", "COMPLAINT_OPS_TZ")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def airflow_env(home: Path, **extra: str) -> dict[str, str]:
    """A clean environment for Airflow processes: nothing AIRFLOW* inherited, a home of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW") and k not in _STRIPPED}
    env.update({
        "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        "PYTHONUNBUFFERED": "1",
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Shanghai",  # as docker-compose.yaml
        "AIRFLOW__CORE__FERNET_KEY": fernet_key(),
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
        "COMPLAINT_OPS_VAR": str(home / "complaint-ops-var"),  # the mail capture fallback never lands in var/
        "COMPLAINT_OPS_OPS_EMAIL": OPS_EMAIL,
    })
    env.update(extra)
    return env


# --- URLs ------------------------------------------------------------------------------------------


def url_as(url: str, drivername: str) -> str:
    return make_url(url).set(drivername=drivername).render_as_string(hide_password=False)


APP_ROLE = "complaint_ops_app"  # what the DAG tasks connect as on PostgreSQL (migration 0006)
REPORTING_ROLE = "complaint_ops_reporting"  # what read-only tasks connect as


def airflow_conn_for(url: str, role: str = APP_ROLE, password: str | None = None) -> str:
    """AIRFLOW_CONN_COMPLAINTS_DB for one of our database URLs: `postgres://...` (provider-hook path) as
    the least-privileged `role` (the database was migrated by its owner), or a sqlite JSON connection."""
    if url.startswith("sqlite"):
        return json.dumps({"conn_type": "sqlite", "host": make_url(url).database})
    parsed = make_url(url).set(drivername="postgres", username=role)
    if password is not None:
        parsed = parsed.set(password=password)
    return parsed.render_as_string(hide_password=False)


def complaints_connections(url: str) -> dict[str, str]:
    """Both Connections the DAGs use: the application role, and the reporting role for read-only tasks."""
    return {"AIRFLOW_CONN_COMPLAINTS_DB": airflow_conn_for(url),
            "AIRFLOW_CONN_COMPLAINTS_DB_REPORTING": airflow_conn_for(url, REPORTING_ROLE)}


# --- subprocesses ----------------------------------------------------------------------------------


def tail(path: Path, lines: int = 60) -> str:
    try:
        content = path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return f"({path} does not exist)"
    return "\n".join(content[-lines:])


def run_cli(argv: list[str], env: dict[str, str], log: Path, timeout: float = 180) -> str:
    """Run a CLI command to completion; its output goes to `log`; a non-zero exit fails with the tail."""
    started = time.monotonic()
    with log.open("ab") as out:
        out.write(f"$ {' '.join(argv)}\n".encode())
        out.flush()
        proc = subprocess.run(argv, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              timeout=timeout, cwd=env["AIRFLOW_HOME"])
    if proc.returncode != 0:
        raise AssertionError(f"`{' '.join(argv)}` exited {proc.returncode} after {time.monotonic() - started:.0f}s:\n"
                             + tail(log, 80))
    return log.read_text(errors="replace")


@dataclass
class Processes:
    """Long-running Airflow components, each in its own session (process group), stopped together."""

    logdir: Path
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = (self.logdir / f"{name}.log").open("ab")
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=env["AIRFLOW_HOME"], start_new_session=True)
        log.close()
        self.procs[name] = proc
        return proc

    def log(self, name: str) -> Path:
        return self.logdir / f"{name}.log"

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise AssertionError(f"`{name}` exited with {proc.returncode}:\n{tail(self.log(name), 80)}")

    def stop_all(self, grace: float = 10) -> None:
        """SIGTERM every process group, wait, then SIGKILL what is left (and the group's children)."""
        for proc in self.procs.values():
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for proc in self.procs.values():
            _signal_group(proc, signal.SIGKILL)  # also children a graceful leader left behind
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass

    def tails(self, lines: int = 40) -> str:
        return "\n".join(f"--- {name}.log (last {lines} lines) ---\n{tail(self.log(name), lines)}" for name in self.procs)


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)  # start_new_session: the group id is the leader's pid
    except (ProcessLookupError, PermissionError):
        pass


def wait_for(what: str, predicate, timeout: float, processes: Processes | None = None, interval: float = 1.0,
             diagnostics=None):
    """Poll `predicate` until it returns something truthy; fail with diagnostics on timeout or a dead process."""
    deadline = time.monotonic() + timeout
    while True:
        if processes is not None:
            try:
                processes.check_alive()
            except AssertionError as exc:
                raise AssertionError(f"while waiting for {what}: {exc}" + (diagnostics() if diagnostics else "")) from None
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}" + (diagnostics() if diagnostics else ""))
        time.sleep(interval)


def http_ok(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except Exception:
        return False


# --- task logs -------------------------------------------------------------------------------------


def task_logs(home: Path) -> list[Path]:
    return sorted((home / "logs").glob(f"dag_id={DAG_ID}/run_id=*/task_id=*/attempt=*.log"))


def task_log_errors(path: Path) -> list[str]:
    """Errors of one task log (JSON lines): the event and the exception, one string each."""
    found = []
    for line in path.read_text(errors="replace").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            if "Traceback" in line or "Error" in line:
                found.append(line[:500])
            continue
        if event.get("level") in ("error", "critical"):
            detail = "; ".join(f"{e.get('exc_type')}: {e.get('exc_value')}" for e in event.get("error_detail") or [])
            found.append(f"{event.get('event')}" + (f" — {detail}" if detail else ""))
    return found


def metadata_db_errors(home: Path) -> dict[str, list[str]]:
    """Task logs that show a task reaching for Airflow's metadata database."""
    hits = {}
    for path in task_logs(home):
        content = path.read_text(errors="replace")
        lines = [ln[:400] for ln in content.splitlines() if any(sig in ln for sig in METADATA_DB_ERRORS)]
        if lines:
            hits[str(path.relative_to(home))] = lines
    return hits


def failing_task_logs(home: Path, limit: int = 6) -> str:
    parts = []
    for path in task_logs(home):
        errors = task_log_errors(path)
        if errors:
            parts.append(f"--- {path.relative_to(home)} ---\n" + "\n".join(errors[:10]))
    return "\n".join(parts[:limit])


# --- the SMTP catcher ------------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage

    @property
    def tag(self) -> str:  # "D1 2026-06-29" (kind and period, set by complaint_ops.mail)
        return str(self.message.get("X-Complaint-Ops", ""))


class SmtpCatcher:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 and a free port, keeping every message it accepts."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages: list[Received] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode()
        message = email.message_from_bytes(raw, policy=email.policy.default)
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def start(self) -> SmtpCatcher:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


# --- our databases ---------------------------------------------------------------------------------


def prepare_complaints_db(url: str) -> Engine:
    """Schema, business calendar 2025-2026 and two months of demo data (seed 7) up to DEMO_END."""
    from tests.factories import NOW

    engine = db.make_engine(url)
    db.upgrade(engine)
    with engine.begin() as conn:
        business_calendar.fill(conn, dt.date(2025, 1, 1), dt.date(2026, 12, 31))
    result = demo.load(engine, demo.generate(months=2, seed=7, end_date=DEMO_END), now=NOW, source="demo")
    assert not result.rejected
    return engine


def run_in_process(engine: Engine, first: dt.date, last: dt.date, mail: str) -> list:
    """What the DAG's runs should amount to, computed without Airflow."""
    from tests.factories import NOW

    return daily.run_days(engine, first, last, now=NOW, mail=mail)


def ledger_content(engine: Engine, first: dt.date, last: dt.date) -> list[tuple]:
    """The ledger of business dates first..last without ids and timestamps (equal for equal postings)."""
    from tests.scenario import Scenario

    s = Scenario.__new__(Scenario)
    s.engine = engine
    return [row for row in s.ledger_content() if first.isoformat() <= row[2][:10] <= last.isoformat()]


def day_runs(engine: Engine) -> dict[dt.date, int]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT business_date, runs FROM day_runs")).all()
    return {db.as_date(r[0]): r[1] for r in rows}


def outbox(engine: Engine, first: dt.date, last: dt.date) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT recipient_email, kind, period, business_date, state, attempts, message_id FROM mail_outbox "
            "WHERE business_date BETWEEN :first AND :last"), {"first": first, "last": last}).mappings().all()
    return [dict(r, business_date=db.as_date(r["business_date"])) for r in rows]


def outbox_keys(rows: list[dict]) -> list[tuple]:
    return sorted((r["recipient_email"], r["kind"], r["period"], r["business_date"]) for r in rows)


# --- the metadata database (read by the tests, never by tasks) -------------------------------------


def dag_runs(meta: Engine) -> list[dict]:
    with meta.connect() as conn:
        return [dict(r) for r in conn.execute(text(
            "SELECT id, run_id, run_type, state, logical_date FROM dag_run WHERE dag_id = :d ORDER BY id"),
            {"d": DAG_ID}).mappings()]


def task_instances(meta: Engine, run_ids: list[str] | None = None) -> list[dict]:
    with meta.connect() as conn:
        rows = [dict(r) for r in conn.execute(text(
            "SELECT run_id, task_id, state, try_number FROM task_instance WHERE dag_id = :d ORDER BY run_id, task_id"),
            {"d": DAG_ID}).mappings()]
    return [r for r in rows if run_ids is None or r["run_id"] in run_ids]


def describe_runs(meta: Engine) -> str:
    lines = ["dag runs:"]
    try:
        lines += [f"  {r['run_id']} {r['run_type']} {r['state']}" for r in dag_runs(meta)]
        lines.append("task instances:")
        lines += [f"  {r['run_id']} {r['task_id']}: {r['state']} (try {r['try_number']})" for r in task_instances(meta)]
    except Exception as exc:  # the metadata DB may not be migrated yet
        lines.append(f"  (cannot read: {exc})")
    return "\n".join(lines)


def latest_tick(now: dt.datetime) -> dt.datetime:
    """The most recent 19:30 Asia/Shanghai at or before `now` (the daily DAG's cron), in UTC."""
    local = now.astimezone(TZ)
    tick = local.replace(hour=19, minute=30, second=0, microsecond=0)
    if tick > local:
        tick -= dt.timedelta(days=1)
    return tick.astimezone(dt.timezone.utc)

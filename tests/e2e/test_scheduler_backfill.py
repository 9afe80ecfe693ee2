"""A real Airflow deployment runs `complaint-ops backfill` over five business days.

api-server, scheduler and dag-processor (and, for CeleryExecutor, a Celery worker on Redis) run as
subprocesses of a temporary AIRFLOW_HOME with the metadata DB on PostgreSQL; our complaints DB is
another PostgreSQL database holding two months of demo data, reached by the tasks only through the
Connection `complaints_db` (`postgres://...`, the provider-hook path). Then:

- all five backfill runs succeed, every task at its first try, and no task log shows an attempt to
  use Airflow's metadata database (blocked for real task processes);
- the ledger of those dates equals what `daily.run_days` posts in-process on an identical database;
  each date has its day_runs row; the digests of those dates are archived, none reached the SMTP server;
- catchup=False still holds afterwards: no scheduled run for a past date appears (the only scheduled
  run allowed is the one for the latest 19:30 tick, created when the DAG is unpaused).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from complaint_ops import db
from tests.e2e import harness

pytestmark = [pytest.mark.e2e, pytest.mark.pg]

D1, D5 = dt.date(2026, 6, 22), dt.date(2026, 6, 26)  # Monday..Friday, all working days
DATES = [D1 + dt.timedelta(days=i) for i in range((D5 - D1).days + 1)]
START_TIMEOUT = 120
BACKFILL_TIMEOUT = 360
BAD_TI_STATES = {"failed", "up_for_retry", "upstream_failed"}


@dataclass
class Stack:
    home: Path
    env: dict[str, str]
    meta: Engine
    processes: harness.Processes
    port: int
    complaints_url: str
    started_at: dt.datetime  # before any Airflow process started

    def diagnostics(self) -> str:
        return ("\n\n" + harness.describe_runs(self.meta) + "\n\n--- task logs with errors ---\n"
                + (harness.failing_task_logs(self.home) or "(none)") + "\n\n" + self.processes.tails(40))

    def cli(self, *argv: str, timeout: float = 120) -> str:
        return harness.run_cli(list(argv), self.env, self.home / "cli.log", timeout=timeout)


@pytest.fixture(params=["LocalExecutor", "CeleryExecutor"])
def executor(request):
    return request.param


@pytest.fixture
def stack(request, executor, pg_database, smtp_catcher, tmp_path):
    celery = executor == "CeleryExecutor"
    home = tmp_path / "airflow"
    home.mkdir()
    if celery:  # first: with a Celery that cannot load, Redis does not matter
        _require_celery_executor(harness.airflow_env(home))
    redis_url, queue = (request.getfixturevalue("redis_server"), request.getfixturevalue("celery_queue")) if celery \
        else (None, None)
    meta_url, complaints_url = pg_database(), pg_database()
    harness.prepare_complaints_db(complaints_url).dispose()
    port = harness.free_port()
    env = harness.airflow_env(
        home,
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=harness.url_as(meta_url, "postgresql+psycopg2"),
        AIRFLOW__CORE__EXECUTOR=executor,
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{port}/execution/",
        AIRFLOW__CORE__PARALLELISM="8",
        AIRFLOW_CONN_COMPLAINTS_SMTP=smtp_catcher.url,
        **harness.complaints_connections(complaints_url),  # the app and reporting roles, not the owner
    )
    if executor == "CeleryExecutor":
        env.update(
            AIRFLOW__CELERY__BROKER_URL=redis_url,
            AIRFLOW__CELERY__RESULT_BACKEND="db+" + harness.url_as(meta_url, "postgresql"),
            AIRFLOW__CELERY__WORKER_CONCURRENCY="4",
            AIRFLOW__OPERATORS__DEFAULT_QUEUE=queue,  # every task goes to this test's own queue
        )
    harness.run_cli(["airflow", "db", "migrate"], env, home / "migrate.log", timeout=180)
    processes = harness.Processes(home)
    meta = db.make_engine(meta_url)
    started_at = dt.datetime.now(dt.timezone.utc)
    try:
        processes.start("api-server", ["airflow", "api-server", "--host", "127.0.0.1", "--port", str(port),
                                       "--workers", "1"], env)
        processes.start("dag-processor", ["airflow", "dag-processor"], env)
        processes.start("scheduler", ["airflow", "scheduler"], env)
        if executor == "CeleryExecutor":
            processes.start("celery-worker", ["airflow", "celery", "worker", "--concurrency", "4", "--queues", queue,
                                              "--celery-hostname", f"{queue}@%h"], env)
        yield Stack(home, env, meta, processes, port, complaints_url, started_at)
    finally:
        processes.stop_all()
        meta.dispose()


def _require_celery_executor(env: dict[str, str]) -> None:
    """The CeleryExecutor must load with the pinned packages, else the scheduler and `airflow celery worker`
    die at start (apache-airflow-providers-celery 3.26.0 needs celery < 5.7: requirements pin 5.6.3)."""
    proc = subprocess.run([sys.executable, "-c", "import airflow.providers.celery.executors.celery_executor_utils"],
                          env=env, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        errors = [ln for ln in proc.stderr.splitlines() if "Error:" in ln or "Exception:" in ln]
        pinned = ", ".join(f"{name}=={metadata.version(name)}" for name in ("apache-airflow-providers-celery", "celery"))
        pytest.fail(f"CeleryExecutor cannot be loaded with {pinned}: {errors[0] if errors else proc.stderr[-500:]}")


def _parsed(meta: Engine) -> bool:
    with meta.connect() as conn:
        errors = conn.execute(text("SELECT filename, stacktrace FROM import_error")).all()
        if errors:
            raise AssertionError(f"DAG import errors: {errors}")
        return bool(conn.execute(text("SELECT 1 FROM serialized_dag WHERE dag_id = :d"), {"d": harness.DAG_ID}).first())


def _backfill_done(stack: Stack):
    runs = [r for r in harness.dag_runs(stack.meta) if r["run_type"] == "backfill"]
    bad = [t for t in harness.task_instances(stack.meta, [r["run_id"] for r in runs]) if t["state"] in BAD_TI_STATES]
    if bad or any(r["state"] == "failed" for r in runs):
        raise AssertionError(f"backfill task failed: {bad}" + stack.diagnostics())
    return len(runs) == len(DATES) and all(r["state"] == "success" for r in runs)


def test_backfill_of_five_business_days(stack, executor, pg_database, smtp_catcher):
    started = time.monotonic()
    latest = harness.latest_tick(stack.started_at)  # catchup=False may run this tick, never an older one
    timings = {}
    wait = dict(processes=stack.processes, diagnostics=stack.diagnostics)
    harness.wait_for("the api-server", lambda: harness.http_ok(f"http://127.0.0.1:{stack.port}/api/v2/version"),
                     START_TIMEOUT, **wait)
    harness.wait_for("the DAG to be parsed and serialized", lambda: _parsed(stack.meta), START_TIMEOUT, **wait)
    if executor == "CeleryExecutor":
        harness.wait_for("the Celery worker", lambda: " ready." in harness.tail(stack.processes.log("celery-worker"), 400),
                         START_TIMEOUT, **wait)
    timings["started"] = time.monotonic() - started
    stack.cli("airflow", "dags", "unpause", harness.DAG_ID)

    # What the five runs must amount to, on an identical database, without Airflow (while Airflow works).
    twin = harness.prepare_complaints_db(pg_database())
    harness.run_in_process(twin, D1, D5, mail="archive")

    out = stack.cli(str(harness.BIN / "complaint-ops"), "backfill", "--from", D1.isoformat(), "--to", D5.isoformat())
    assert "--from-date 2026-06-22T00:00:00+08:00 --to-date 2026-06-26T23:59:59+08:00" in out
    harness.wait_for("5 successful backfill runs", lambda: _backfill_done(stack), BACKFILL_TIMEOUT, interval=2, **wait)
    timings["backfill done"] = time.monotonic() - started

    # Airflow's view: five backfill runs, one per business date (19:30 local), every task at its first try.
    runs = harness.dag_runs(stack.meta)
    backfill = [r for r in runs if r["run_type"] == "backfill"]
    assert sorted(db.as_utc(r["logical_date"]).astimezone(harness.TZ) for r in backfill) == [
        dt.datetime.combine(d, dt.time(19, 30), tzinfo=harness.TZ) for d in DATES]
    tis = harness.task_instances(stack.meta, [r["run_id"] for r in backfill])
    assert len(tis) == 5 * len(DATES)
    assert {(t["state"], t["try_number"]) for t in tis} == {("success", 1)}, tis
    out = _stdout(stack, "airflow", "dags", "list-runs", harness.DAG_ID, "-o", "json")
    listed = json.loads(next(ln for ln in reversed(out.splitlines()) if ln.startswith("[")))  # after log lines
    assert sorted(r["run_id"] for r in listed if r["state"] == "success" and r["run_id"].startswith("backfill__")) == \
        sorted(r["run_id"] for r in backfill)

    if executor == "CeleryExecutor":  # the worker ran them, from this test's own queue
        with stack.meta.connect() as conn:
            queues = {r[0] for r in conn.execute(text("SELECT DISTINCT queue FROM task_instance"))}
        assert queues == {stack.env["AIRFLOW__OPERATORS__DEFAULT_QUEUE"]}
        worker_log = stack.processes.log("celery-worker").read_text(errors="replace")
        assert worker_log.count("Task execute_workload[") >= len(tis), harness.tail(stack.processes.log("celery-worker"))

    # Tasks never reached for Airflow's metadata DB (the task SDK blocks it in real runs).
    assert harness.metadata_db_errors(stack.home) == {}

    # Our database: the same ledger as the in-process run, a day_runs row per date.
    real = db.make_engine(stack.complaints_url)
    try:
        expected = harness.ledger_content(twin, D1, D5)
        assert expected, "the demo dates must post ledger entries"
        assert harness.ledger_content(real, D1, D5) == expected
        assert set(DATES) <= set(harness.day_runs(real))

        # Mail: the backfill queued the same digests as the in-process run, archived, and sent none of them.
        rows = harness.outbox(real, D1, D5)
        assert rows, "the demo dates must queue digests"
        assert harness.outbox_keys(rows) == harness.outbox_keys(harness.outbox(twin, D1, D5))
        assert {(r["state"], r["attempts"]) for r in rows} == {("archived", 0)}
        archived_ids = {r["message_id"] for r in rows}
        assert not [m.tag for m in smtp_catcher.messages if m.message.get("Message-ID") in archived_ids]
    finally:
        real.dispose()
        twin.dispose()

    # catchup=False after the backfill: give the scheduler a few loops, then no scheduled run for a past
    # date may exist; the only one allowed is the latest 19:30 tick at unpausing (catchup=False's run).
    time.sleep(5)
    stack.processes.check_alive()
    runs = harness.dag_runs(stack.meta)
    others = [r for r in runs if r["run_type"] != "backfill"]
    assert all(r["run_type"] == "scheduled" for r in others), others
    assert all(db.as_utc(r["logical_date"]) >= latest for r in others), (
        f"scheduled runs before the latest tick {latest} (catchup=False broken): {others}")
    assert len(others) <= 1 + (harness.latest_tick(dt.datetime.now(dt.timezone.utc)) > latest), others
    with stack.meta.connect() as conn:
        next_run = conn.execute(text("SELECT next_dagrun FROM dag WHERE dag_id = :d"), {"d": harness.DAG_ID}).scalar()
    assert db.as_utc(next_run) >= latest, f"next_dagrun {next_run} lies before the latest tick {latest}"
    timings["total"] = time.monotonic() - started
    print(f"\n{executor}: " + ", ".join(f"{k} {v:.0f}s" for k, v in timings.items()))


def _stdout(stack: Stack, *argv: str) -> str:
    proc = subprocess.run(list(argv), env=stack.env, capture_output=True, text=True, timeout=120,
                          cwd=stack.env["AIRFLOW_HOME"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout

"""An Airflow backfill of 10 business days on LocalExecutor: time per DAG run, and Airflow's share of it.

`python bench/airflow_backfill.py [--size 100k] [--days 10] [--keep]`

1. Dates: the --days working days (business calendar of the benchmark database) ending on the working
   day before the benchmark date. The backfill covers them with one `complaint-ops backfill --from
   FIRST --to LAST --max-active-runs 1`, as an operator would: the DAG runs daily, so the weekend days
   in between get runs too (non-working days run and post nothing). Every run is reported; the headline
   figures are those of the working-day runs.
2. Databases: two copies of the benchmark database (`CREATE DATABASE ... TEMPLATE co_bench_<size>`):
   `co_bench_airflow` for Airflow's tasks and `co_bench_airflow_twin` for the in-process run, plus an
   empty `co_bench_airflow_meta` for Airflow's metadata. All three are dropped at the end unless --keep.
3. Our own work, in-process (before any Airflow process starts): for every date in order, the five
   task callables of complaint_ops.tasks (calendar_check, derive_orders, run_day, send_mail,
   data_quality: exactly what the DAG's tasks call, mail archived as on a backfill) with a context like
   the task's (logical date 19:30 Asia/Shanghai, run type backfill, no conf), one after the other,
   on the twin, through the same Connection mechanism (AIRFLOW_CONN_COMPLAINTS_DB); each timed. The
   process is warmed first (imports, policy, first engine: `warmup_seconds`, not counted), because a
   task process has imported our package while parsing the DAG file, which counts as Airflow's part.
4. Airflow: the e2e harness (tests/e2e/harness.py): api-server, scheduler, dag-processor as
   subprocesses of a temporary AIRFLOW_HOME, metadata DB on PostgreSQL, LocalExecutor, parallelism 8,
   Airflow's defaults otherwise; `[scheduler] use_job_schedule = False` so that unpausing the DAG creates
   no scheduled run beside the backfill (catchup=False would run the latest 19:30 tick); SMTP to a local
   catcher (backfills archive their digests; only data-quality notices to ops are sent). The backfill
   runs with max_active_runs 1: runs are strictly sequential, so a run's wall time is its own.
5. Figures per run from the metadata DB: wall (dag_run start_date -> end_date), each task's duration
   (task_instance start_date -> end_date). Airflow's share of a run = (run wall - in-process time of
   the same five callables for that date) / run wall; at the task level = (sum of task durations -
   in-process time) / sum of task durations (so the part of Airflow's overhead inside task processes:
   process start, DAG file parse, API calls, XCom, logging). data_quality runs beside derive_orders in
   Airflow and after send_mail in-process, so the run-level share is if anything understated. Total
   backfill wall = from the `complaint-ops backfill` command to the end of the last run.
   Our own code also costs something once per task process (the first call: provider hook import,
   policy, engine; for run_day the digest/mail modules and templates): a fresh process calls
   calendar_check and a dry run of run_day three times each (`cold_start`, first call minus the others),
   to show how much of the per-task overhead is ours rather than Airflow's.
6. Same work: each Airflow task's result (its XCom) is compared with the in-process result of the same
   callable for the same date (`same_work`, `differences`); the run's queued mail is shown, because the
   first working day of a month also renders the D2/D3 period reports (and early June/December D4),
   which makes that run far longer than the others (a separate line of figures leaves those runs out).
Results go to var/bench/airflow.json and a Markdown table. The machine may be busy: figures are noisy,
the in-process and Airflow runs take place one after the other, not at the same time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import logging
import math
import os
import shutil
import signal
import sys
import tempfile
import time
import types
from pathlib import Path

from codeversion import code_version
from common import END_DATE, PG_ADMIN, ROOT, SIZES, admin_engine, db_name, db_url, exists, machine, median, save
from sqlalchemy import text

sys.path.insert(0, str(ROOT))  # tests.e2e.harness
from tests.e2e import harness  # noqa: E402

from complaint_ops import business_calendar, db  # noqa: E402

TASKS = ("calendar_check", "derive_orders", "run_day", "send_mail", "data_quality")
REPORTS = ("D2", "D3", "D4")  # the period reports a first working day of a month (June, December) adds
CHAIN = ("calendar_check", "derive_orders", "run_day", "send_mail")  # data_quality runs beside derive_orders
AIRFLOW_DB, TWIN_DB, META_DB = "co_bench_airflow", "co_bench_airflow_twin", "co_bench_airflow_meta"
START_TIMEOUT = 300
BAD_TI_STATES = {"failed", "up_for_retry", "upstream_failed"}


def url_of(name: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


# --- dates and databases ---------------------------------------------------------------------------


def business_days(size: str, n: int) -> list[dt.date]:
    """The n working days ending on the working day before END_DATE, oldest first."""
    engine = db.make_engine(db_url(size))
    with engine.connect() as conn:
        calendar = business_calendar.load(conn)
    engine.dispose()
    days, probe = [], END_DATE - dt.timedelta(days=1)
    while len(days) < n:
        if calendar.is_working(probe):
            days.append(probe)
        probe -= dt.timedelta(days=1)
    return sorted(days)


def copy_database(name: str, template: str | None, attempts: int = 20) -> None:
    """(Re)create `name`, as a copy of `template` (which must have no other session) or empty."""
    engine = admin_engine()
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            for attempt in range(attempts):
                try:
                    conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
                    return
                except Exception as exc:  # the template is in use by another session: wait a little
                    if "being accessed by other users" not in str(exc) or attempt == attempts - 1:
                        raise
                    time.sleep(3)
    finally:
        engine.dispose()


def migrate_copy(name: str) -> dict:
    """Bring a copy to the code's schema revision as its owner (the benchmark database may predate the
    latest migration; the original is not touched). Returns the revisions before and after."""
    engine = db.make_engine(url_of(name))
    try:
        before = db.current_revision(engine)
        db.upgrade(engine)
        return {"before": before, "after": db.current_revision(engine)}
    finally:
        engine.dispose()


def connections(url: str) -> dict[str, str]:
    """The Connections the DAG's tasks use (application role, reporting role), as the e2e harness sets them."""
    if hasattr(harness, "complaints_connections"):
        return harness.complaints_connections(url)
    return {"AIRFLOW_CONN_COMPLAINTS_DB": harness.airflow_conn_for(url)}


def drop_databases(names: list[str]) -> None:
    engine = admin_engine()
    with engine.connect() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


# --- our own work, in-process ----------------------------------------------------------------------


def logical_date(day: dt.date) -> dt.datetime:
    """The logical date of the daily DAG's run for business date `day`: 19:30 Asia/Shanghai, in UTC."""
    return dt.datetime.combine(day, dt.time(19, 30), tzinfo=harness.TZ).astimezone(dt.timezone.utc)


def task_context(day: dt.date) -> dict:
    """What complaint_ops.tasks reads from an Airflow context: a backfill run of that logical date."""
    moment = logical_date(day)
    dag_run = types.SimpleNamespace(conf={}, run_type="backfill", run_after=moment, logical_date=moment)
    return {"dag_run": dag_run, "logical_date": moment}


# A fresh process, as a task process is once it has parsed the DAG file (the task SDK and complaint_ops.tasks
# imported: not timed), calls one of our functions three times: the first call pays what a task process
# pays for our own code (the provider hook import, policy, engine, digests/mail/templates for run_day).
COLD_PROBE = """
import datetime as dt, json, sys, time
import airflow.sdk
from complaint_ops import tasks
from complaint_ops.connections import engine_from_connection
what, day = sys.argv[1], dt.date.fromisoformat(sys.argv[2])
moment = dt.datetime.combine(day, dt.time(19, 30), tzinfo=dt.timezone(dt.timedelta(hours=8)))
ctx = {"dag_run": type("R", (), {"conf": {}, "run_type": "backfill", "run_after": moment})(), "logical_date": moment}
def call():
    if what == "calendar_check":
        return tasks.calendar_check(ctx)
    from complaint_ops import daily  # run_day as the task calls it, but a dry run: rolled back, repeatable
    daily.run_day(engine_from_connection(), day, now=dt.datetime.now(dt.timezone.utc), dry_run=True, mail="archive")
times = []
for _ in range(3):
    t = time.perf_counter(); call(); times.append(time.perf_counter() - t)
print(json.dumps(times))
"""


def cold_start(day: dt.date) -> dict:
    """Our own code's first-call cost in a fresh process (environment as set by in_process)."""
    import subprocess

    found = {}
    for what in ("calendar_check", "run_day"):
        out = subprocess.run([sys.executable, "-c", COLD_PROBE, what, day.isoformat()], capture_output=True, text=True,
                             check=True, timeout=600, cwd=ROOT).stdout
        times = json.loads(out.strip().splitlines()[-1])
        found[what] = {"calls": times, "first_call_extra": times[0] - median(times[1:])}
    return found


def in_process(dates: list[dt.date], twin_url: str, smtp_url: str, home: Path) -> dict:
    """Time the five task callables per date on the twin, in this process (environment as a task's)."""
    for key in harness._STRIPPED:
        os.environ.pop(key, None)
    os.environ.update({
        "AIRFLOW_HOME": str(home / "in-process-airflow-home"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        **connections(twin_url),
        "AIRFLOW_CONN_COMPLAINTS_SMTP": smtp_url,
        "COMPLAINT_OPS_VAR": str(home / "in-process-var"),
        "COMPLAINT_OPS_OPS_EMAIL": harness.OPS_EMAIL,
    })
    (home / "in-process-airflow-home").mkdir(exist_ok=True)
    started = time.perf_counter()
    from complaint_ops import digests, mail, ops, tasks  # noqa: F401
    from complaint_ops.connections import engine_from_connection
    from complaint_ops.policy import load_policy

    engine_from_connection().dispose()
    load_policy()
    mail.smtp_settings()
    warmup = time.perf_counter() - started
    for name in ("complaint_ops", "alembic"):  # the tasks' INFO lines (a few per task) would drown the output
        logging.getLogger(name).setLevel(logging.WARNING)
    rows = []
    for day in dates:
        context, seconds, results = task_context(day), {}, {}
        for name in TASKS:
            t = time.perf_counter()
            results[name] = getattr(tasks, name)(context)
            seconds[name] = time.perf_counter() - t
            gc.collect()  # each callable makes its own engine, as in a task process: close its connections now
        rows.append({"date": day, "seconds": seconds, "total": sum(seconds.values()),
                     "chain": sum(seconds[t] for t in CHAIN), "results": results})
        print(f"  in-process {day}: {rows[-1]['total']:.2f} s "
              f"({', '.join(f'{k} {v:.2f}' for k, v in seconds.items())})", flush=True)
    return {"warmup_seconds": warmup, "rows": rows}


# --- Airflow ---------------------------------------------------------------------------------------


class Stack:
    def __init__(self, home: Path, meta_url: str, complaints_url: str, smtp_url: str):
        self.home = home
        self.port = harness.free_port()
        self.env = harness.airflow_env(
            home,
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=harness.url_as(meta_url, "postgresql+psycopg2"),
            AIRFLOW__CORE__EXECUTOR="LocalExecutor",
            AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{self.port}/execution/",
            AIRFLOW__CORE__PARALLELISM="8",
            AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE="False",  # no scheduled run beside the backfill
            **connections(complaints_url),
            AIRFLOW_CONN_COMPLAINTS_SMTP=smtp_url,
        )
        self.meta = db.make_engine(meta_url)
        self.processes = harness.Processes(home)

    def cli(self, *argv: str, timeout: float = 300) -> str:
        return harness.run_cli(list(argv), self.env, self.home / "cli.log", timeout=timeout)

    def diagnostics(self) -> str:
        return ("\n\n" + harness.describe_runs(self.meta) + "\n\n--- task logs with errors ---\n"
                + (harness.failing_task_logs(self.home) or "(none)") + "\n\n" + self.processes.tails(40))

    def start(self) -> dict:
        timings = {}
        t = time.perf_counter()
        harness.run_cli(["airflow", "db", "migrate"], self.env, self.home / "migrate.log", timeout=600)
        timings["db migrate"] = time.perf_counter() - t
        t = time.perf_counter()
        self.processes.start("api-server", ["airflow", "api-server", "--host", "127.0.0.1", "--port", str(self.port),
                                            "--workers", "1"], self.env)
        self.processes.start("dag-processor", ["airflow", "dag-processor"], self.env)
        self.processes.start("scheduler", ["airflow", "scheduler"], self.env)
        wait = dict(processes=self.processes, diagnostics=self.diagnostics)
        harness.wait_for("the api-server", lambda: harness.http_ok(f"http://127.0.0.1:{self.port}/api/v2/version"),
                         START_TIMEOUT, **wait)
        harness.wait_for("the DAG to be parsed and serialized", self.parsed, START_TIMEOUT, **wait)
        timings["start (api-server up, DAG serialized)"] = time.perf_counter() - t
        t = time.perf_counter()
        self.cli("airflow", "dags", "unpause", harness.DAG_ID)
        timings["dags unpause"] = time.perf_counter() - t
        return timings

    def parsed(self) -> bool:
        with self.meta.connect() as conn:
            errors = conn.execute(text("SELECT filename, stacktrace FROM import_error")).all()
            if errors:
                raise RuntimeError(f"DAG import errors: {errors}")
            return bool(conn.execute(text("SELECT 1 FROM serialized_dag WHERE dag_id = :d"),
                                     {"d": harness.DAG_ID}).first())

    def backfill_done(self, expected: int) -> bool:
        runs = [r for r in harness.dag_runs(self.meta) if r["run_type"] == "backfill"]
        bad = [t for t in harness.task_instances(self.meta, [r["run_id"] for r in runs]) if t["state"] in BAD_TI_STATES]
        if bad or any(r["state"] == "failed" for r in runs):
            raise RuntimeError(f"backfill task failed: {bad}" + self.diagnostics())
        return len(runs) == expected and all(r["state"] == "success" for r in runs)

    def runs(self) -> list[dict]:
        with self.meta.connect() as conn:
            runs = [dict(r) for r in conn.execute(text(
                "SELECT run_id, logical_date, queued_at, start_date, end_date, state FROM dag_run "
                "WHERE dag_id = :d AND run_type = 'backfill' ORDER BY logical_date"), {"d": harness.DAG_ID}).mappings()]
            tis = [dict(r) for r in conn.execute(text(
                "SELECT run_id, task_id, state, try_number, queued_dttm, start_date, end_date FROM task_instance "
                "WHERE dag_id = :d"), {"d": harness.DAG_ID}).mappings()]
            xcoms = {(r["run_id"], r["task_id"]): r["value"] for r in conn.execute(text(
                "SELECT run_id, task_id, value FROM xcom WHERE dag_id = :d AND key = 'return_value'"),
                {"d": harness.DAG_ID}).mappings()}
        for run in runs:
            run["tasks"] = {t["task_id"]: t for t in tis if t["run_id"] == run["run_id"]}
            run["xcom"] = {tid: _json(v) for (rid, tid), v in xcoms.items() if rid == run["run_id"]}
        return runs

    def stop(self) -> list[int]:
        self.processes.stop_all()
        self.meta.dispose()
        return leftovers(self.home)


def _json(value):
    """An XCom value as stored (JSON, possibly as text or bytes) back to Python."""
    for _ in range(2):
        if isinstance(value, (bytes, memoryview)):
            value = bytes(value).decode()
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return value
    return value


def differences(airflow: dict, own: dict) -> list[str]:
    """Which task results differ between Airflow's run (XCom) and the in-process one (same work?)."""
    own = json.loads(json.dumps(own, default=str))
    found = []
    for task in TASKS:
        theirs = airflow.get(task)
        if not isinstance(theirs, dict):
            found.append(f"{task}: no XCom")
            continue
        found += [f"{task}.{k}: {theirs.get(k)!r} != {own[task].get(k)!r}" for k in sorted(set(theirs) | set(own[task]))
                  if theirs.get(k) != own[task].get(k)]
    return found


def leftovers(home: Path) -> list[int]:
    """Processes still running with this stack's AIRFLOW_HOME in their environment (task processes that
    left the process groups, if any): SIGKILLed by pid; returns their pids."""
    marker = f"AIRFLOW_HOME={home}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if marker in (proc / "environ").read_bytes().split(b"\0"):
                found.append(int(proc.name))
        except OSError:
            continue
    for pid in found:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return found


# --- figures ---------------------------------------------------------------------------------------


def seconds_between(a, b) -> float | None:
    return (db.as_utc(b) - db.as_utc(a)).total_seconds() if a is not None and b is not None else None


def p95(values: list[float]) -> float:
    """Nearest rank: with 10 values, the largest."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def figures(runs: list[dict], inproc: dict, working: set[dt.date], created_at: dt.datetime) -> dict:
    by_date = {r["date"]: r for r in inproc["rows"]}
    rows = []
    for run in runs:
        day = db.as_utc(run["logical_date"]).astimezone(harness.TZ).date()
        own = by_date[day]
        tasks = {tid: seconds_between(t["start_date"], t["end_date"]) for tid, t in run["tasks"].items()}
        wall = seconds_between(run["start_date"], run["end_date"])
        task_sum = sum(v for v in tasks.values() if v is not None)
        rows.append({
            "date": day, "working_day": day in working, "run_id": run["run_id"],
            "queued_to_start": seconds_between(run["queued_at"], run["start_date"]),
            "wall": wall, "tasks": tasks, "tasks_sum": task_sum,
            "tries": {tid: t["try_number"] for tid, t in run["tasks"].items()},
            "task_queue_wait": {tid: seconds_between(t["queued_dttm"], t["start_date"]) for tid, t in run["tasks"].items()},
            "in_process": own["seconds"], "in_process_total": own["total"], "in_process_chain": own["chain"],
            "mail_queued": {k: v for k, v in (own["results"]["run_day"].get("mail_queued") or {}).items() if v},
            "same_work": not (diff := differences(run["xcom"], own["results"])), "differences": diff,
            "results": own["results"],
            "overhead_share": (wall - own["total"]) / wall,
            "task_overhead_share": (task_sum - own["total"]) / task_sum,
            "start": run["start_date"], "end": run["end_date"],
        })
    overlaps = sum(1 for a, b in zip(rows, rows[1:]) if db.as_utc(b["start"]) < db.as_utc(a["end"]))
    last_end = max(db.as_utc(r["end"]) for r in rows)

    def stats(subset: list[dict]) -> dict:
        walls = [r["wall"] for r in subset]
        return {"runs": len(subset), "wall_median": median(walls), "wall_p95": p95(walls),
                "wall_mean": sum(walls) / len(walls), "in_process_median": median([r["in_process_total"] for r in subset]),
                "overhead_share_median": median([r["overhead_share"] for r in subset]),
                "task_overhead_share_median": median([r["task_overhead_share"] for r in subset]),
                "overhead_seconds_median": median([r["wall"] - r["in_process_total"] for r in subset])}

    per_task = {t: {"airflow_median": median([r["tasks"][t] for r in rows if r["working_day"]]),
                    "in_process_median": median([r["in_process"][t] for r in rows if r["working_day"]])} for t in TASKS}
    total_wall = (last_end - created_at).total_seconds()
    total_own = sum(r["in_process_total"] for r in rows)
    plain = [r for r in rows if r["working_day"] and not any(r["mail_queued"].get(k) for k in REPORTS)]
    return {
        "rows": rows, "overlapping_runs": overlaps,
        "working_days": stats([r for r in rows if r["working_day"]]), "all_days": stats(rows),
        "working_days_without_reports": stats(plain) if plain else None,
        "per_task_working_days": per_task,
        "backfill_wall": total_wall, "in_process_wall_all_dates": total_own,
        "backfill_overhead_share": (total_wall - total_own) / total_wall,
        "sum_of_run_walls": sum(r["wall"] for r in rows),
        "gaps_between_runs": sum(seconds_between(a["end"], b["start"]) for a, b in zip(rows, rows[1:])),
        "runs_with_different_results": [r["date"] for r in rows if not r["same_work"]],
    }


def table(f: dict) -> str:
    lines = ["| date | day | mail queued | run wall | tasks (sum) | in-process | Airflow share of run | of task time | "
             + " | ".join(TASKS) + " |",
             "|---|---|---|---:|---:|---:|---:|---:|" + "---:|" * len(TASKS)]
    for r in f["rows"]:
        mail = ", ".join(f"{k} {v}" for k, v in r["mail_queued"].items() if k in ("D1", "A1", *REPORTS)) or "-"
        lines.append(f"| {r['date']} | {'work' if r['working_day'] else 'off'} | {mail} | {r['wall']:.1f} s "
                     f"| {r['tasks_sum']:.1f} s "
                     f"| {r['in_process_total']:.2f} s | {r['overhead_share']:.0%} | {r['task_overhead_share']:.0%} | "
                     + " | ".join(f"{r['tasks'][t]:.1f} / {r['in_process'][t]:.2f}" for t in TASKS) + " |")
    w, a, plain = f["working_days"], f["all_days"], f["working_days_without_reports"]
    lines += [
        "", "(task columns: Airflow task duration / in-process seconds)", "",
        "| runs | median wall | p95 wall | median in-process | median Airflow share of run | median share of task time |",
        "|---|---:|---:|---:|---:|---:|",
        f"| {w['runs']} working days | {w['wall_median']:.1f} s | {w['wall_p95']:.1f} s | {w['in_process_median']:.2f} s "
        f"| {w['overhead_share_median']:.0%} | {w['task_overhead_share_median']:.0%} |",
        f"| all {a['runs']} runs | {a['wall_median']:.1f} s | {a['wall_p95']:.1f} s | {a['in_process_median']:.2f} s "
        f"| {a['overhead_share_median']:.0%} | {a['task_overhead_share_median']:.0%} |",
    ] + ([
        f"| {plain['runs']} working days without D2/D3/D4 | {plain['wall_median']:.1f} s | {plain['wall_p95']:.1f} s "
        f"| {plain['in_process_median']:.2f} s | {plain['overhead_share_median']:.0%} "
        f"| {plain['task_overhead_share_median']:.0%} |"] if plain else []) + [
        "",
        f"backfill wall (command to last run's end): {f['backfill_wall']:.0f} s for {a['runs']} runs; the same dates "
        f"in-process: {f['in_process_wall_all_dates']:.1f} s; Airflow's share overall {f['backfill_overhead_share']:.0%}; "
        f"overlapping runs: {f['overlapping_runs']} (max_active_runs 1); sum of run walls {f['sum_of_run_walls']:.0f} s, "
        f"gaps between runs {f['gaps_between_runs']:.0f} s",
        "same results (XCom vs in-process) for every run" if not f["runs_with_different_results"]
        else f"DIFFERENT results for {f['runs_with_different_results']} (see differences in the JSON)",
    ]
    return "\n".join(lines)


# --- main ------------------------------------------------------------------------------------------


def _terminate(signum, frame):
    raise SystemExit(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", default="100k", choices=list(SIZES))
    p.add_argument("--days", type=int, default=10, help="working days to backfill")
    p.add_argument("--timeout", type=float, default=3600, help="seconds to wait for the backfill")
    p.add_argument("--keep", action="store_true", help="keep the three databases and the AIRFLOW_HOME (logs)")
    args = p.parse_args(argv)
    if not exists(args.size):
        print(f"{db_name(args.size)} does not exist: run `python bench/build.py {args.size}` first", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _terminate)
    dates = business_days(args.size, args.days)
    first, last = dates[0], dates[-1]
    all_dates = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    print(f"backfill {first}..{last}: {len(dates)} working days, {len(all_dates)} runs, from {db_name(args.size)}",
          flush=True)

    code = code_version()
    home = Path(tempfile.mkdtemp(prefix="co-bench-airflow-"))
    (home / "airflow").mkdir()
    catcher, stack, left = None, None, []
    result: dict = {}
    try:
        t = time.perf_counter()
        copy_database(TWIN_DB, db_name(args.size))
        copy_database(AIRFLOW_DB, db_name(args.size))
        copy_database(META_DB, None)
        schema = {name: migrate_copy(name) for name in (TWIN_DB, AIRFLOW_DB)}
        print(f"databases copied in {time.perf_counter() - t:.0f} s", flush=True)
        catcher = harness.SmtpCatcher().start()

        print("our own work, in-process, on the twin:", flush=True)
        inproc = in_process(all_dates, url_of(TWIN_DB), catcher.url, home)
        in_process_mails = len(catcher.messages)
        cold = cold_start(dates[-1])
        print("our code's first call in a fresh process costs "
              + ", ".join(f"{k} +{v['first_call_extra']:.2f} s" for k, v in cold.items()), flush=True)

        stack = Stack(home / "airflow", url_of(META_DB), url_of(AIRFLOW_DB), catcher.url)
        setup = stack.start()
        print("Airflow up: " + ", ".join(f"{k} {v:.0f} s" for k, v in setup.items()), flush=True)
        created_at = dt.datetime.now(dt.timezone.utc)
        t = time.perf_counter()
        out = stack.cli(str(harness.BIN / "complaint-ops"), "backfill", "--from", first.isoformat(),
                        "--to", last.isoformat(), "--max-active-runs", "1")
        command = next((ln for ln in out.splitlines() if ln.startswith("airflow backfill create")), "")
        create_seconds = time.perf_counter() - t
        created = len([r for r in harness.dag_runs(stack.meta) if r["run_type"] == "backfill"])
        if created != len(all_dates):
            raise RuntimeError(f"the backfill created {created} runs, {len(all_dates)} expected" + stack.diagnostics())
        harness.wait_for(f"{created} successful backfill runs", lambda: stack.backfill_done(created), args.timeout,
                         processes=stack.processes, diagnostics=stack.diagnostics, interval=2)
        runs = stack.runs()
        retried = [(r["run_id"], t["task_id"], t["try_number"]) for r in runs for t in r["tasks"].values()
                   if t["try_number"] != 1]
        f = figures(runs, inproc, set(dates), created_at)
        code_after = code_version()
        result = {
            "code": code, "code_changed_during_run": code_after["fingerprint"] != code["fingerprint"],
            "size": args.size, "database": db_name(args.size), "dates": {"first": first, "last": last,
                                                                          "working": dates, "runs": len(all_dates)},
            "executor": "LocalExecutor", "max_active_runs": 1, "parallelism": 8, "machine": machine(),
            "method": __doc__.strip(), "backfill_command": command, "backfill_create_seconds": create_seconds,
            "setup_seconds": setup, "in_process_warmup_seconds": inproc["warmup_seconds"],
            "cold_start": cold, "schema": schema,
            "connections": {k: v for k, v in connections(url_of(AIRFLOW_DB)).items()},
            "retried_tasks": retried, "mails_sent": {"in_process": in_process_mails,
                                                     "airflow": len(catcher.messages) - in_process_mails},
            **f,
        }
        path = save("airflow", result)
        print(table(f))
        if retried:
            print(f"WARNING: retried tasks distort the figures: {retried}")
        print(f"our own code's first-call cost in a fresh (task) process, counted above as Airflow's: "
              f"~{cold['calendar_check']['first_call_extra']:.2f} s for a small task, "
              f"~{cold['run_day']['first_call_extra']:.2f} s for run_day (dry run of {dates[-1]}, first call vs later)")
        print(f"code: {code['commit']}" + (f" + uncommitted {code['uncommitted']}" if code["uncommitted"] else ""))
        if result["code_changed_during_run"]:
            print("WARNING: plugins/, dags/ or sql/ changed during the run: in-process and Airflow may have run "
                  "different code; run again")
        print(f"saved {path}")
    finally:
        if stack is not None:
            left = stack.stop()
            if left:
                print(f"killed leftover processes of the stack: {left}", file=sys.stderr)
        if catcher is not None:
            catcher.stop()
        if args.keep:
            print(f"kept: databases {TWIN_DB}, {AIRFLOW_DB}, {META_DB}; AIRFLOW_HOME {home / 'airflow'}")
        else:
            drop_databases([TWIN_DB, AIRFLOW_DB, META_DB])
            shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Parse time of each DAG file (target: at most 0.5 s each, warm): `python bench/parse.py [--repeat 7]`.

Every figure is taken in an environment of its own: a temporary AIRFLOW_HOME (SQLite metadata DB,
migrated, empty: no Connection, no Variable), nothing AIRFLOW_* or COMPLAINT_OPS_* inherited, and
COMPLAINT_OPS_DB pointing to a database nobody can reach (127.0.0.1 port 1). So a DAG file that touched
our database, a Connection or Airflow's own database at import would fail or show up below. On top of
that, each timed parse runs under a guard that records every attempt to open a socket, resolve a name,
connect with psycopg/psycopg2/sqlite3 or start a subprocess (`attempts`, expected 0).

Figures per file (median of --repeat parses each):
- warm (the target's figure): what the dag-processor does. Its manager is a long-lived process with
  Airflow imported that pre-imports the `airflow.*` modules a file names, then forks a child per parse;
  the child runs `airflow.dag_processing.processor._parse_file` (stability check, BundleDagBag import
  of the file, DAG validation, serialization). Measured the same way: a warm parent, one fork per
  parse, timed inside the child from before `_parse_file` to its result (the fork itself excluded).
  Each parse therefore imports the DAG module and our package (complaint_ops) afresh, as in production.
  Beside it, "of which importing complaint_ops": the import of the complaint_ops modules the file
  names, timed alone in the same kind of fresh child (the part of the parse that is our package's).
- re-parse: the same file parsed again and again in ONE process (`BundleDagBag` of that file, a fresh
  DAG module each time, our package already imported after the first parse): the lower bound.
- cold: a new `python -c` process; `import airflow` and the import of Airflow's DagBag/processor
  machinery are NOT timed, then `_parse_file` of the file is (so the airflow.sdk modules the file
  imports are part of it, as they are the first time a dag-processor sees a file).
- airflow dags report: Airflow's own per-file parse duration (`airflow dags report -o json`, run
  --report-repeat times, median). It parses all files one after the other in one process, so the first
  file it parses pays for importing our package and the task SDK; the others find them imported.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from codeversion import code_version

ROOT = Path(__file__).resolve().parent.parent
DAGS = ROOT / "dags"
UNREACHABLE_DB = "postgresql+psycopg://nobody@127.0.0.1:1/unreachable"
BUNDLE = "dags-folder"
TARGET_MS = 500.0


# --- the measurement process (runs with the clean environment; never imports complaint_ops itself) ---


GUARD_EVENTS = ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "sqlite3.connect",
                "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "urllib.Request")


DRIVERS = ("psycopg", "psycopg2", "asyncpg", "pg8000", "sqlite3", "pymysql", "MySQLdb", "redis", "requests", "httpx")


def _install_guard() -> list[str]:
    """Record (not block) every network, database or process start attempt from here on: an audit hook
    (Python sockets and name lookups, sqlite3, subprocesses), plus wrappers around psycopg/psycopg2
    connect when they are already imported (libpq opens its sockets in C, unseen by the audit hook; a
    driver imported during a parse is reported by `_parse_once`)."""
    attempts: list[str] = []

    def hook(event, args):
        if event in GUARD_EVENTS:
            attempts.append(f"{event}{tuple(str(a)[:80] for a in args)}")

    sys.addaudithook(hook)

    def wrap(owner, name, label):
        original = getattr(owner, name)

        def guarded(*args, **kwargs):
            attempts.append(f"{label}{args!r:.120}{kwargs!r:.120}")
            return original(*args, **kwargs)

        setattr(owner, name, guarded)

    if "psycopg" in sys.modules:
        wrap(sys.modules["psycopg"], "connect", "psycopg.connect")
        wrap(sys.modules["psycopg"].Connection, "connect", "psycopg.Connection.connect")
    if "psycopg2" in sys.modules:
        wrap(sys.modules["psycopg2"], "connect", "psycopg2.connect")
    return attempts


def _parse_once(path: str, attempts: list[str]) -> dict:
    """One parse as the dag-processor's child does it; returns timing, DAGs, tasks, errors."""
    from airflow.dag_processing.processor import DagFileParseRequest, _parse_file

    import structlog

    log = structlog.get_logger(logger_name="bench.parse")
    msg = DagFileParseRequest(file=path, bundle_path=DAGS, bundle_name=BUNDLE, callback_requests=[])
    before, modules = len(attempts), set(sys.modules)
    started = time.perf_counter()
    result = _parse_file(msg, log)
    seconds = time.perf_counter() - started
    drivers = sorted(m for m in set(sys.modules) - modules if m.split(".")[0] in DRIVERS and "." not in m)
    dags = {d.data["dag"]["dag_id"]: len(d.data["dag"]["tasks"]) for d in result.serialized_dags}
    return {"seconds": seconds, "dags": dags, "import_errors": result.import_errors or {},
            "warnings": [str(w) for w in result.warnings or []],
            "attempts": attempts[before:], "drivers_imported": drivers,
            "complaint_ops_imported": "complaint_ops" not in modules and "complaint_ops" in sys.modules}


def _our_modules(path: str) -> list[str]:
    """The complaint_ops modules a DAG file imports (from its source)."""
    import ast

    found = []
    for node in ast.walk(ast.parse(Path(path).read_bytes())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "complaint_ops":
            found += [node.module] if node.module != "complaint_ops" else [f"complaint_ops.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "complaint_ops"]
    return sorted(set(found))


def _import_ours(path: str) -> dict:
    """How long importing our package's modules named by the file takes in a fresh child (part of a parse)."""
    import importlib

    started = time.perf_counter()
    for module in _our_modules(path):
        importlib.import_module(module)
    return {"seconds": time.perf_counter() - started, "modules": _our_modules(path)}


def _in_fork(fn) -> dict:
    """Run fn() in a forked child (as the dag-processor forks one per parse); its JSON result back."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read)
        try:
            os.environ["_AIRFLOW_PROCESS_CONTEXT"] = "client"  # what _parse_file_entrypoint sets
            out = json.dumps(fn(), default=str).encode()
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            out = json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode()
        with os.fdopen(write, "wb") as w:
            w.write(out)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as r:
        data = r.read()
    os.waitpid(pid, 0)
    result = json.loads(data)
    if "error" in result:
        raise RuntimeError(result["error"])
    return result


def worker(files: list[str], repeat: int) -> dict:
    import importlib

    started = time.perf_counter()
    import airflow  # noqa: F401
    from airflow.dag_processing.processor import _parse_file  # noqa: F401  (the parse machinery, warm)
    from airflow.utils.file import iter_airflow_imports

    warmup = time.perf_counter() - started
    if "complaint_ops" in sys.modules:
        raise RuntimeError("complaint_ops is imported before any parse: the figures would be too low")
    attempts = _install_guard()
    out: dict = {"warmup_seconds": warmup, "files": {}}
    for path in files:  # 1) the dag-processor's way: pre-import in the warm parent, then one fork per parse
        for module in iter_airflow_imports(path):
            importlib.import_module(module)
        runs = [_in_fork(lambda: _parse_once(path, attempts)) for _ in range(repeat)]
        ours = [_in_fork(lambda: _import_ours(path)) for _ in range(repeat)]
        out["files"][path] = {"warm": runs, "our_imports": ours}
    for path in files:  # 2) re-parse in one process (one fork per file so files do not share our package)
        def loop(path=path):
            return {"runs": [_parse_once(path, attempts) for _ in range(repeat)]}

        out["files"][path]["reparse"] = _in_fork(loop)["runs"]
    out["attempts_outside_parses"] = attempts
    return out


def cold_one(path: str) -> dict:
    """Body of the cold measurement (in a new interpreter)."""
    import airflow  # noqa: F401
    from airflow.dag_processing.processor import _parse_file  # noqa: F401

    attempts = _install_guard()
    return _parse_once(path, attempts)


# --- the orchestrating process ---------------------------------------------------------------------


def clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "COMPLAINT_OPS"))}
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Shanghai",
        "COMPLAINT_OPS_DB": UNREACHABLE_DB,  # our database: unreachable (connection refused)
        "COMPLAINT_OPS_VAR": str(home / "complaint-ops-var"),
        "PYTHONUNBUFFERED": "1",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    })
    return env


def _last_json(stdout: str):
    for line in reversed(stdout.splitlines()):
        if line.startswith(("{", "[")):
            return json.loads(line)
    raise ValueError(f"no JSON in output:\n{stdout[-2000:]}")


def _run(argv: list[str], env: dict[str, str], timeout: float = 600) -> str:
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, cwd=env["AIRFLOW_HOME"])
    if proc.returncode != 0:
        raise RuntimeError(f"`{' '.join(argv)}` exited {proc.returncode}:\n{proc.stderr[-3000:]}\n{proc.stdout[-2000:]}")
    return proc.stdout


def _seconds(duration: str) -> float:
    """'0:00:00.285330' (a timedelta printed by `airflow dags report`) in seconds."""
    h, m, s = duration.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def airflow_report(env: dict[str, str], repeat: int) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {}
    for _ in range(repeat):
        for row in _last_json(_run(["airflow", "dags", "report", "-o", "json"], env)):
            found.setdefault(row["file"], []).append(_seconds(row["duration"]))
    return found


def table(rows: list[dict]) -> str:
    lines = ["| file | DAGs | tasks | warm parse (median) | of which importing complaint_ops | re-parse in one process "
             "| cold | airflow dags report | warm ≤ 0.5 s |",
             "|---|---:|---:|---:|---:|---:|---:|---:|:---:|"]
    for r in rows:
        report = f"{r['report_ms']:.0f} ms" if r.get("report_ms") is not None else "n/a"
        lines.append(f"| {r['file']} | {r['dags']} | {r['tasks']} | {r['warm_ms']:.0f} ms | ~{r['our_imports_ms']:.0f} ms "
                     f"| {r['reparse_ms']:.0f} ms "
                     f"| {r['cold_ms']:.0f} ms | {report} | {'yes' if r['warm_ms'] <= TARGET_MS else '**no**'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="*", help="DAG files (default: dags/*.py)")
    p.add_argument("--repeat", type=int, default=7, help="parses per file and figure (median)")
    p.add_argument("--cold-repeat", type=int, help="cold processes per file (default: --repeat)")
    p.add_argument("--report-repeat", type=int, default=3, help="runs of `airflow dags report` (0: skip)")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--cold", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.files, args.repeat), default=str))
        return 0
    if args.cold:
        print(json.dumps(cold_one(args.files[0]), default=str))
        return 0

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import common  # only here: it imports complaint_ops, which the measuring processes must not inherit

    files = [str(Path(f).resolve()) for f in args.files] or sorted(str(f) for f in DAGS.glob("*.py"))
    cold_repeat = args.cold_repeat or args.repeat
    me = str(Path(__file__).resolve())
    code = code_version()
    with tempfile.TemporaryDirectory(prefix="co-bench-parse-") as tmp:
        home = Path(tmp)
        env = clean_env(home)
        t = time.perf_counter()
        _run(["airflow", "db", "migrate"], env)  # an empty SQLite metadata DB: no Connection, no Variable
        print(f"metadata DB (SQLite, empty) migrated in {time.perf_counter() - t:.0f} s", flush=True)

        measured = _last_json(_run([sys.executable, me, "--worker", "--repeat", str(args.repeat), *files], env))
        print(f"warm and re-parse figures taken ({args.repeat} parses per file each)", flush=True)
        cold = {f: [_last_json(_run([sys.executable, me, "--cold", f], env)) for _ in range(cold_repeat)] for f in files}
        print(f"cold figures taken ({cold_repeat} processes per file)", flush=True)
        report = airflow_report(env, args.report_repeat) if args.report_repeat else {}

    rows, problems = [], []
    for f in files:
        name = str(Path(f).relative_to(DAGS)) if Path(f).is_relative_to(DAGS) else f
        m = measured["files"][f]
        every = m["warm"] + m["reparse"] + cold[f]
        dags = m["warm"][0]["dags"]
        errors = {k: v for r in every for k, v in r["import_errors"].items()}
        attempts = sorted({a for r in every for a in r["attempts"]})
        if errors:
            problems.append(f"{name}: import errors {errors}")
        warnings = sorted({w for r in every for w in r["warnings"]})
        if warnings:
            problems.append(f"{name}: parse warnings {warnings}")
        if attempts:
            problems.append(f"{name}: network/database/process attempts during parse: {attempts}")
        drivers = sorted({d for r in every for d in r["drivers_imported"]})
        if drivers:  # not a connection, but a DAG file has no business loading a database driver
            problems.append(f"{name}: database/network client modules imported at parse: {drivers}")
        if any(r["dags"] != dags for r in every):
            problems.append(f"{name}: different DAGs from one parse to the next")
        report_s = report.get(name)
        rows.append({
            "file": name, "dags": len(dags), "tasks": sum(dags.values()), "dag_ids": sorted(dags),
            "warm_ms": common.median([r["seconds"] for r in m["warm"]]) * 1000,
            "reparse_ms": common.median([r["seconds"] for r in m["reparse"]]) * 1000,
            "cold_ms": common.median([r["seconds"] for r in cold[f]]) * 1000,
            "report_ms": common.median(report_s) * 1000 if report_s else None,
            "our_imports_ms": common.median([r["seconds"] for r in m["our_imports"]]) * 1000,
            "our_modules": m["our_imports"][0]["modules"],
            "warm_ms_all": [r["seconds"] * 1000 for r in m["warm"]],
            "reparse_ms_all": [r["seconds"] * 1000 for r in m["reparse"]],
            "cold_ms_all": [r["seconds"] * 1000 for r in cold[f]],
            "report_ms_all": [s * 1000 for s in report_s] if report_s else [],
            "import_errors": errors, "attempts": attempts, "drivers_imported": drivers,
            "imports_complaint_ops_afresh": all(r["complaint_ops_imported"] for r in m["warm"]),
        })
    if measured["attempts_outside_parses"]:
        problems.append(f"attempts outside the timed parses (Airflow's own): {measured['attempts_outside_parses']}")
    if code_version()["fingerprint"] != code["fingerprint"]:
        problems.append("plugins/, dags/ or sql/ changed during the run: run again")
    result = {
        "code": code, "target_ms": TARGET_MS, "target_refers_to": "warm", "repeat": args.repeat, "cold_repeat": cold_repeat,
        "report_repeat": args.report_repeat, "method": __doc__.strip(), "complaint_ops_db": UNREACHABLE_DB,
        "connections_defined": 0, "machine": common.machine(), "files": rows, "problems": problems,
        "all_within_target": all(r["warm_ms"] <= TARGET_MS for r in rows),
    }
    path = common.save("parse", result)
    print(table(rows))
    print(f"\nwarm = the dag-processor's way (warm parent, fork per parse; the target refers to it); "
          f"COMPLAINT_OPS_DB={UNREACHABLE_DB}, no Connection defined.")
    print("problems: " + ("; ".join(problems) if problems else "none (no import error, no network/DB/process attempt "
                                                                 "during any parse)"))
    print(f"code: {code['commit']}" + (f" + uncommitted {code['uncommitted']}" if code["uncommitted"] else ""))
    print(f"saved {path}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

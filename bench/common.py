"""What every benchmark script shares: the sizes, the benchmark date, database URLs, timing helpers.

The databases differ only in the length of their history: the organisation is fixed and every
working day receives the same number of complaints (`demo.History`), and the benchmark date is the
last day of every history. So the day's work is the same at every size, and what a size adds is
old, closed history: exactly what must not slow the daily run down.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins"))

from sqlalchemy import text  # noqa: E402

from complaint_ops import db, demo  # noqa: E402

VAR = ROOT / "var" / "bench"
PG_ADMIN = os.environ.get("COMPLAINT_OPS_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SIZES = {"20k": 20_000, "100k": 100_000, "1m": 1_000_000, "5m": 5_000_000}
PER_DAY = 1000  # complaints received every working day, at every size (a telecom: ~250 000 a year)
END_DATE = dt.date(2026, 9, 15)  # the benchmark date: a Tuesday, the last day of every history
SEED = 7
HISTORY = demo.History(scale=16, customers=25_000, flat=True, settle=True)


def db_name(size: str) -> str:
    return f"co_bench_{size}"


def db_url(size: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + db_name(size)


def months_for(n: int, per_day: int = PER_DAY, end: dt.date = END_DATE) -> tuple[int, int]:
    """(months, complaints): the shortest history ending on `end` that holds `n` complaints at
    `per_day` a working day; complaints = per_day x its working days (the intake is exactly per_day)."""
    months = 1
    while True:
        days = len(demo._days(months, end, "CN"))
        if days * per_day >= n:
            return months, days * per_day
        months += 1


def admin_engine():
    return db.make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")


def exists(size: str) -> bool:
    eng = admin_engine()
    with eng.connect() as conn:
        found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": db_name(size)}).first()
    eng.dispose()
    return found is not None


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - started, result


def median(values: list[float]) -> float:
    return statistics.median(values)


def peak_rss_mb() -> float:
    """This process's peak resident memory (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    pg = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-Atc", "SHOW server_version"],
                        capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem, 1), "python": platform.python_version(),
            "postgresql": pg, "os": platform.platform()}


def save(name: str, data: dict) -> Path:
    VAR.mkdir(parents=True, exist_ok=True)
    path = VAR / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def load(name: str) -> dict | None:
    path = VAR / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None

"""One business date's whole run at each size, beside the floor: `python bench/daily.py 100k 1m 5m`.

For each size, in a process of its own (so its peak memory is the run's):
1. the complaints that the benchmark date's intake touched (received that day, or with an event that
   day) are queued for derivation, as intake queues them during the day;
2. the whole run of the date (derivation, O1, complaint penalties, follow-ups raised, reconcile, the
   day's digests and alerts rendered and queued) runs REPEAT times as a dry run: the same work in one
   transaction, rolled back, so every repetition is the first run of that date on the same database;
3. the floor (bench/floor.sql: one indexed query returning the date's due orders) runs REPEAT times,
   interleaved with the runs so that both see the same cache.
Figures are medians; they go to var/bench/daily-<size>.json and the table printed at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

from codeversion import code_version
from common import END_DATE, ROOT, SIZES, db_name, db_url, exists, median, peak_rss_mb, save
from sqlalchemy import bindparam, text

from complaint_ops import daily, db
from complaint_ops.policy import load_policy

FLOOR = text(Path(__file__).with_name("floor.sql").read_text(encoding="utf-8")).bindparams()
REQUEUE = text("""
INSERT INTO order_sync_queue (complaint_id, queued_at)
SELECT id, :queued_at FROM complaints WHERE received_date = :day
UNION
SELECT DISTINCT complaint_id, :queued_at FROM events WHERE occurred_date = :day
ON CONFLICT (complaint_id) DO NOTHING
""")

UNQUEUE = text("DELETE FROM order_sync_queue WHERE queued_at = :queued_at").bindparams(
    bindparam("queued_at", type_=db.UtcDateTime()))


def floor(engine, day: dt.date) -> tuple[float, int]:
    with engine.connect() as conn:
        started = time.perf_counter()
        rows = conn.execute(FLOOR, {"day": day}).mappings().all()
        return time.perf_counter() - started, len(rows)


def measure(size: str, repeat: int, profile: str | None = None) -> dict:
    engine = db.make_engine(db_url(size))
    db.upgrade(engine)  # a database built by an older checkout gets this one's migrations (cheap at head)
    book = load_policy()
    now = dt.datetime.now(dt.timezone.utc)
    day = END_DATE
    with db.transaction(engine) as conn:
        queued = conn.execute(REQUEUE, {"day": day, "queued_at": now}).rowcount
    with engine.connect() as conn:
        queue = conn.execute(text("SELECT COUNT(*) FROM order_sync_queue WHERE deferred_until IS NULL")).scalar()
        complaints = conn.execute(text("SELECT COUNT(*) FROM complaints")).scalar()
    floor(engine, day)  # warm the cache once, as the daily run's first query would
    runs, floors, summary = [], [], None
    for i in range(repeat):
        seconds, due = floor(engine, day)
        floors.append(seconds)
        started = time.perf_counter()
        summary = daily.run_day(engine, day, now=now, book=book, dry_run=True, mail="send")
        runs.append(time.perf_counter() - started)
    phases = _phases(engine, day, now, book, profile)
    with db.transaction(engine) as conn:  # leave the database as built (other benchmarks copy it)
        conn.execute(UNQUEUE, {"queued_at": now})
    engine.dispose()
    result = {
        "size": size, "complaints": complaints, "day": day, "repeat": repeat, "queued_by_intake": queued,
        "queue": queue, "run_seconds": runs, "floor_seconds": floors, "run": median(runs), "floor": median(floors),
        "ratio": median(runs) / median(floors), "due_orders": due, "peak_rss_mb": peak_rss_mb(),
        "summary": summary.as_dict(), "phases": phases, "code": code_version(),
    }
    save(f"daily-{size}", result)
    return result


# Where a run's time goes: cumulative seconds of these functions in one more (profiled, so slower) run.
PHASES = {
    "derive orders (sync)": ("orders.py", "sync"),
    "A1/R3 alerts": ("alerts.py", "raise_for_period"),
    "O1 overdue + P10": ("daily.py", "_overdue_entries"),
    "complaint penalties P1-P9": ("daily.py", "_complaint_entries"),
    "reconcile with the ledger": ("ledger.py", "reconcile"),
    "digests: load": ("digests.py", "load_day"),
    "digests: render + queue": ("digests.py", "_render_and_queue"),
    "whole run": ("daily.py", "_run"),
}


def _phases(engine, day, now, book, dump: str | None) -> dict:
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.runcall(daily.run_day, engine, day, now=now, book=book, dry_run=True, mail="send")
    if dump:
        prof.dump_stats(dump)
    stats = pstats.Stats(prof).stats  # {(file, line, name): (cc, nc, tt, ct, callers)}
    out = {}
    for phase, (file, name) in PHASES.items():
        out[phase] = sum(v[3] for k, v in stats.items() if k[0].endswith("complaint_ops/" + file) and k[2] == name)
    return out


def table(results: list[dict]) -> str:
    lines = ["| size | complaints | day's queue | due orders | run (median) | floor (median) | run / floor | peak RSS |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r['size']} | {r['complaints']:,} | {r['queue']:,} | {r['due_orders']:,} | {r['run']:.2f} s "
                     f"| {r['floor'] * 1000:.0f} ms | {r['ratio']:.1f}x | {r['peak_rss_mb']:.0f} MB |")
    by = {r["size"]: r for r in results}
    if "100k" in by:
        for big in ("1m", "5m"):
            if big in by:
                lines.append(f"\ngrowth: run at {big} / run at 100k = {by[big]['run'] / by['100k']['run']:.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("sizes", nargs="*", default=["100k", "1m", "5m"], choices=list(SIZES))
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # the per-size child process
    p.add_argument("--profile", metavar="FILE", help="keep the profile of the extra (profiled) run in FILE")
    args = p.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.sizes[0], args.repeat, args.profile), default=str))
        return 0
    results = []
    for size in args.sizes:
        if not exists(size):
            print(f"{db_name(size)} does not exist: run `python bench/build.py {size}` first", file=sys.stderr)
            return 2
        cmd = [sys.executable, str(Path(__file__)), size, "--one", "--repeat", str(args.repeat)]
        if args.profile:
            cmd += ["--profile", args.profile]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
        r = results[-1]
        print(f"{size}: run {r['run']:.2f} s, floor {r['floor'] * 1000:.1f} ms, ratio {r['ratio']:.1f}, "
              f"peak {r['peak_rss_mb']:.0f} MB", flush=True)
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

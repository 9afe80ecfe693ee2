"""An in-process replay of 365 business days at 1M: `python bench/replay.py [--size 1m] [--days 365]`.

What an admin's backfill of a year does, minus Airflow: `daily.run_days` over the calendar dates that
hold the last `--days` working days before the benchmark date, each date in its own transaction, mail
queued archived (a backfill mails nobody), on a copy of the benchmark database (CREATE DATABASE ...
TEMPLATE), so every replay is the first one and the benchmark database stays as built. Then the same
year again on the copy: a re-run, which must post nothing. Figures: total wall time, per-date median
and p95, entries posted, peak memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time

from codeversion import code_version
from common import END_DATE, admin_engine, db_name, db_url, exists, peak_rss_mb, save
from sqlalchemy import text

from complaint_ops import business_calendar, daily, db
from complaint_ops.policy import load_policy


COPY = "replay"


def copy_of(size: str) -> str:
    admin = admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name(COPY)}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{db_name(COPY)}" TEMPLATE "{db_name(size)}"'))
    admin.dispose()
    return db_url(COPY)


def drop_copy() -> None:
    admin = admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name(COPY)}" WITH (FORCE)'))
    admin.dispose()


def replay(url: str, size: str, days: int) -> dict:
    engine = db.make_engine(url)
    db.upgrade(engine)  # a database built by an older checkout gets this one's migrations
    with engine.connect() as conn:
        calendar = business_calendar.load(conn)
    working = [d for d in _dates(calendar, END_DATE - dt.timedelta(days=1), days)]
    first, last = working[0], working[-1]
    book = load_policy()
    now = dt.datetime.now(dt.timezone.utc)
    per_date, posted, reversed_, started = [], 0, 0, time.perf_counter()
    day = first
    while day <= last:  # one date at a time, so each is timed (run_days does the same per date)
        t = time.perf_counter()
        s = daily.run_day(engine, day, now=now, book=book, mail="archive")
        if s.working_day:
            per_date.append(time.perf_counter() - t)
        posted, reversed_ = posted + s.entries_posted, reversed_ + s.entries_reversed
        day += dt.timedelta(days=1)
    total = time.perf_counter() - started
    engine.dispose()
    per_date.sort()
    result = {"size": size, "first": first, "last": last, "working_days": len(per_date),
              "calendar_days": (last - first).days + 1, "total_seconds": total,
              "median_seconds": statistics.median(per_date), "p95_seconds": per_date[int(0.95 * (len(per_date) - 1))],
              "max_seconds": per_date[-1], "entries_posted": posted, "entries_reversed": reversed_,
              "peak_rss_mb": peak_rss_mb(), "code": code_version()}
    return result


def _dates(calendar, last: dt.date, n: int) -> list[dt.date]:
    out, day = [], last
    while len(out) < n:
        if calendar.is_working(day):
            out.append(day)
        day -= dt.timedelta(days=1)
    return sorted(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", default="1m")
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--no-rerun", dest="rerun", action="store_false", help="skip the second pass (the re-run)")
    p.add_argument("--keep", action="store_true", help=f"keep the copy {db_name(COPY)}")
    args = p.parse_args(argv)
    if not exists(args.size):
        print(f"{db_name(args.size)} does not exist: run `python bench/build.py {args.size}` first", file=sys.stderr)
        return 2
    url = copy_of(args.size)
    try:
        for rerun in (False, True) if args.rerun else (False,):
            r = replay(url, args.size, args.days)
            save(f"replay-{args.size}" + ("-rerun" if rerun else ""), r)
            print(f"{'re-run' if rerun else 'replay'} of {r['working_days']} business days ({r['first']}..{r['last']}) "
                  f"at {args.size}: {r['total_seconds'] / 60:.1f} min; per date median {r['median_seconds']:.2f} s, "
                  f"p95 {r['p95_seconds']:.2f} s; posted {r['entries_posted']}, reversed {r['entries_reversed']}; "
                  f"peak {r['peak_rss_mb']:.0f} MB", flush=True)
            if rerun and (r["entries_posted"] or r["entries_reversed"]):
                print("THE RE-RUN POSTED ENTRIES: a replay must be idempotent", file=sys.stderr)
                return 1
    finally:
        if not args.keep:
            drop_copy()
    return 0


if __name__ == "__main__":
    sys.exit(main())

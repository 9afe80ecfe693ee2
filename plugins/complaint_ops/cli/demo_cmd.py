"""`complaint-ops demo-data`: a seeded demo company and its complaint history (complaint_ops.demo)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from sqlalchemy import text

from complaint_ops import demo, settings
from complaint_ops.cli import CommandError
from complaint_ops.cli._common import engine_for, parse_date

HELP = """\
Generate a realistic demo: departments, teams, staff, customers, then complaints over MONTHS months
ending with --end-date (default: yesterday in the business zone) with their stage events. The same
--seed and arguments always give the same records.

Safety: demo data is only loaded into an EMPTY database (no departments, staff, customers,
complaints or events); on any other database the command refuses and changes nothing, so demo
records never mix with real ones. Use a database of its own, e.g.
`complaint-ops --db sqlite:///var/demo.db db upgrade` first. With --out nothing is loaded: the records
are written to a JSON Lines file that `complaint-ops import` reads.

Up to %d complaints go through the import validation of `complaint-ops import` (all records in
memory); more take the streaming bulk path (COPY on PostgreSQL, batched inserts on SQLite, one
transaction), e.g. --complaints 1000000. --bulk / --no-bulk override the choice.
""" % demo.BULK_THRESHOLD


def register(sub) -> None:
    p = sub.add_parser("demo-data", help="load a seeded demo company and complaint history",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--months", type=int, default=6, help="length of the history in months (default 6)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument("--end-date", type=parse_date, metavar="YYYY-MM-DD",
                   help="last day of the history (default: yesterday in COMPLAINT_OPS_TZ)")
    p.add_argument("--complaints", type=int, metavar="N",
                   help="total number of complaints (default: ~0.3 a working day per department); "
                        "staff and customers grow with it")
    path = p.add_mutually_exclusive_group()
    path.add_argument("--bulk", action="store_true", default=None,
                      help="force the bulk path (default: only above %d complaints)" % demo.BULK_THRESHOLD)
    path.add_argument("--no-bulk", dest="bulk", action="store_false", help="force the import-validation path")
    p.add_argument("--out", type=Path, metavar="FILE.jsonl", help="write the records to a file instead of a database")
    p.add_argument("--db", default=argparse.SUPPRESS, help="database URL (same as the global --db)")
    p.set_defaults(func=_demo)


def _demo(args) -> int:
    tz = settings.business_timezone()
    now = dt.datetime.now(dt.timezone.utc)  # the clock is read here, at the edge, never in the generator
    end_date = args.end_date or demo.default_end_date(now, tz)
    if end_date >= now.astimezone(tz).date():
        raise CommandError(f"--end-date {end_date} is not in the past: intake refuses events in the future")
    start, end = demo.period(args.months, end_date)
    country = settings.calendar_settings().country
    total = demo.planned_total(args.months, end_date, args.complaints, country)  # fails before writing anything
    records = demo.generate(args.months, args.seed, end_date, args.complaints, tz=tz, country=country)
    what = f"seed {args.seed}, {args.months} months {start}..{end} ({tz.key})"

    if args.out:
        counts = _write_jsonl(args.out, records)
        print(f"demo data: {what}")
        print("  records: " + _counts(counts))
        print(f"written to {args.out}")
        return 0

    engine = engine_for(args)
    where = engine.url.render_as_string(hide_password=True)
    existing = demo.existing_rows(engine)
    if existing:
        raise CommandError(
            f"database {where} is not empty ({_counts(existing)}): demo-data only loads into an empty "
            f"database, so demo records never mix with real ones. Use another --db (e.g. "
            f"sqlite:///var/demo.db, then `complaint-ops --db ... db upgrade`)"
        )
    bulk = args.bulk if args.bulk is not None else total > demo.BULK_THRESHOLD
    source = f"demo-data seed={args.seed} months={args.months} end={end_date} complaints={args.complaints}"
    result = demo.load(engine, records, now=now, source=source, bulk=bulk, tz=tz)
    for reject in result.rejected[:20]:
        print(f"rejected: {reject}", file=sys.stderr)
    print(f"demo data: {what}")
    print("  records: " + _counts(result.records))
    with engine.connect() as conn:
        rows = {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar() for t in demo.TABLES}
    print("  rows:    " + _counts(rows))
    via = "bulk load" if result.path == "bulk" else "import validation"
    print(f"loaded into {where} via {via} in {result.seconds:.1f} s, {len(result.rejected)} rejected")
    return 1 if result.rejected else 0


def _write_jsonl(path: Path, records) -> dict[str, int]:
    counts: dict[str, int] = {}
    with path.open("w", encoding="utf-8") as out:
        for r in records:
            counts[r["type"]] = counts.get(r["type"], 0) + 1
            out.write(json.dumps(r, ensure_ascii=False, separators=(", ", ": ")) + "\n")
    return counts


def _counts(counts) -> str:
    return ", ".join(f"{n} {t}" for t, n in counts.items())

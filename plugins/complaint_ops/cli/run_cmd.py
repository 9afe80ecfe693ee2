"""`complaint-ops run-day D` / `run-days --from D1 --to D2`: the daily run, in-process.

With `--policy draft.yaml --dry-run` this is the what-if for a rule change: it prints what the
ledger would gain and lose, per person and rule, and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal

from complaint_ops import daily
from complaint_ops.cli._common import engine_for, parse_date, print_table
from complaint_ops.policy import load_policy


def register(sub) -> None:
    one = sub.add_parser("run-day", help="run one business date (deadline scan, penalties, ledger)")
    one.add_argument("date", type=parse_date)
    _common_options(one)
    one.add_argument("--no-send", action="store_true", help="archive the day's digests instead of mailing them")
    one.set_defaults(func=_run_day, send=False)
    many = sub.add_parser("run-days", help="run every date of a range in order (backfill in-process)")
    many.add_argument("--from", dest="date_from", type=parse_date, required=True)
    many.add_argument("--to", dest="date_to", type=parse_date, required=True)
    _common_options(many)
    many.add_argument("--send", action="store_true",
                      help="queue the digests for sending (a backfill archives them by default)")
    many.set_defaults(func=_run_days, no_send=False)


def _common_options(p) -> None:
    p.add_argument("--dry-run", action="store_true", help="compute and report, write nothing")
    p.add_argument("--policy", help="policy file to apply instead of the configured one (what-if with --dry-run)")
    p.add_argument("--format", choices=("text", "json"), default="text")


def _run_day(args) -> int:
    args.date_from = args.date_to = args.date
    args.send = not args.no_send
    return _run_days(args)


def _run_days(args) -> int:
    if args.date_to < args.date_from:
        raise SystemExit("complaint-ops: error: --to is before --from")
    engine = engine_for(args)
    book = load_policy(args.policy) if args.policy else None
    # `now` only stamps posted_at; what is posted depends on the dates and the data alone.
    summaries = daily.run_days(engine, args.date_from, args.date_to, now=dt.datetime.now(dt.timezone.utc),
                               book=book, dry_run=args.dry_run, mail="send" if args.send else "archive")
    if args.format == "json":
        print(json.dumps({"days": [s.as_dict() for s in summaries], "changes": _changes(summaries)},
                         ensure_ascii=False, indent=2, default=str))
        return 0
    for s in summaries:
        print(s.line())
        for warning in s.warnings:
            print(f"  warning: {warning}")
    total_fine = sum((s.fines_posted for s in summaries), Decimal("0.00"))
    print(f"total: {sum(s.entries_posted for s in summaries)} entries posted, "
          f"{sum(s.entries_reversed for s in summaries)} reversed, fines {total_fine:+} CNY, "
          f"points {sum(s.points_posted for s in summaries):+}" + (" (dry run)" if args.dry_run else ""))
    if args.dry_run:
        rows = _changes(summaries)
        if rows:
            print("\nwhat the ledger would gain (+) and lose (-), per person and rule:")
            print_table(rows, ["party", "rule", "kind", "entries", "fine_amount", "points"])
    return 0


def _changes(summaries) -> list[dict]:
    acc: dict[tuple, list] = defaultdict(lambda: [0, Decimal("0.00"), 0])
    for s in summaries:
        for row in s.changes:
            key = (row["staff_id"] or f"team:{row['team_id']}", row["rule"], row["kind"])
            acc[key][0] += 1
            acc[key][1] += Decimal(row["fine_amount"])
            acc[key][2] += row["points"]
    rows = [{"party": k[0], "rule": k[1], "kind": k[2], "entries": v[0], "fine_amount": v[1], "points": v[2]}
            for k, v in sorted(acc.items())]
    if rows:
        rows.append({"party": "TOTAL", "rule": "", "kind": "", "entries": sum(r["entries"] for r in rows),
                     "fine_amount": sum((r["fine_amount"] for r in rows), Decimal("0.00")),
                     "points": sum(r["points"] for r in rows)})
    return rows

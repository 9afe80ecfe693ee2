"""`complaint-ops orders`: follow-up and stage work, for managers and admins without SQL."""

from __future__ import annotations

import datetime as dt

from complaint_ops import orders, settings
from complaint_ops.cli._common import emit, engine_for, parse_date
from complaint_ops.daily import day_end


def register(sub) -> None:
    p = sub.add_parser("orders", help="list orders (stages, assignments, revisits, second-round investigations)")
    p.add_argument("--owner", help="staff id")
    p.add_argument("--status", choices=("open", "overdue", "done", "closed"),
                   help="as of the end of --as-of: open, overdue (open past its deadline), done, closed (complaint closed)")
    p.add_argument("--due-before", type=parse_date, help="only orders due on or before this date")
    p.add_argument("--as-of", type=parse_date, help="business date to judge status at its end (default: today)")
    p.add_argument("--kind", choices=("stage", "assignment", "revisit", "reply_letter", "second_round"))
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(func=_orders)


def _orders(args) -> int:
    tz = settings.business_timezone()
    as_of_day = args.as_of or dt.datetime.now(tz).date()  # the clock, at the edge, only as a default
    engine = engine_for(args)
    with engine.connect() as conn:
        rows = orders.listing(conn, owner=args.owner, status=args.status, due_before=args.due_before,
                              as_of=day_end(as_of_day, tz), tz=tz)
    if args.kind:
        rows = [r for r in rows if r["kind"] == args.kind]
    emit(rows, args.format, ["order_key", "kind", "rule", "complaint_id", "owner_id", "due_at", "status", "done_at"])
    return 0

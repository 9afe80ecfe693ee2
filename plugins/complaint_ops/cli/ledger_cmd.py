"""`complaint-ops ledger`: the append-only penalty ledger, filtered, with totals."""

from __future__ import annotations

from decimal import Decimal

from complaint_ops import ledger
from complaint_ops.cli._common import emit, engine_for, parse_date

COLUMNS = ["id", "business_date", "entry_type", "rule", "kind", "party", "party_name", "complaint_id", "order_key",
           "fine_amount", "points", "multiplier", "policy_version", "reverses_id", "entry_key", "detail"]


def register(sub) -> None:
    p = sub.add_parser("ledger", help="list ledger entries with totals")
    p.add_argument("--person", help="staff or team id")
    p.add_argument("--from", dest="date_from", type=parse_date)
    p.add_argument("--to", dest="date_to", type=parse_date)
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(func=_ledger)


def _ledger(args) -> int:
    engine = engine_for(args)
    with engine.connect() as conn:
        rows = ledger.entries(conn, party=args.person, date_from=args.date_from, date_to=args.date_to)
    fines = sum((r["fine_amount"] for r in rows if r["kind"] == "fine"), Decimal("0.00"))
    recovery = sum((r["fine_amount"] for r in rows if r["kind"] == "loss_recovery"), Decimal("0.00"))
    points = sum(r["points"] for r in rows)
    if args.format == "json":
        import json
        import sys

        from complaint_ops.cli._common import _plain

        json.dump({"entries": [{c: _plain(r.get(c)) for c in COLUMNS} for r in rows],
                   "totals": {"entries": len(rows), "fine_amount": str(fines), "loss_recovery_amount": str(recovery),
                              "points": points}}, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    columns = COLUMNS if args.format == "csv" else COLUMNS[:12]
    emit(rows, args.format, columns)
    if args.format == "table":
        print(f"\ntotal: {len(rows)} entries, fines {fines} CNY, loss recovery {recovery} CNY, points {points}")
    return 0

"""`complaint-ops penalties list|approve|reject`: P9 proposals waiting for the general manager."""

from __future__ import annotations

import datetime as dt

from complaint_ops import approvals
from complaint_ops.cli._common import emit, engine_for


def register(sub) -> None:
    p = sub.add_parser("penalties", help="penalty proposals (severe, dismissal, P10) and their approval")
    psub = p.add_subparsers(dest="penalties_command", required=True)
    ls = psub.add_parser("list", help="list proposals")
    ls.add_argument("--status", choices=("proposed", "superseded", "approved", "rejected", "all"), default="proposed")
    ls.add_argument("--format", choices=("table", "csv", "json"), default="table")
    ls.set_defaults(func=_list)
    for name, decision in (("approve", "approved"), ("reject", "rejected")):
        d = psub.add_parser(name, help=f"{name} a proposal (general manager only)")
        d.add_argument("id", help="proposal id from `penalties list` (or its full key)")
        d.add_argument("--by", required=True, help="staff id of the general manager")
        d.add_argument("--reason", required=decision == "rejected")
        d.set_defaults(func=_decide, decision=decision)


def _list(args) -> int:
    engine = engine_for(args)
    with engine.connect() as conn:
        rows = approvals.listing(conn, args.status)
    emit(rows, args.format, ["id", "status", "business_date", "rule", "kind", "complaint_id", "party", "party_name",
                             "fine_amount", "points", "multiplier", "reason"])
    return 0


def _decide(args) -> int:
    engine = engine_for(args)
    result = approvals.decide(engine, args.id, args.decision, by=args.by, at=dt.datetime.now(dt.timezone.utc),
                              reason=args.reason)
    if result.already_decided:
        print(f"{result.proposal_key}: already {result.decision}; nothing posted again")
        return 0
    print(f"{result.proposal_key}: {result.decision}")
    if result.posting:
        print(f"posted on {result.posting.business_date}: {result.posting.entries_posted} entries, "
              f"fines {result.posting.fines_posted:+} CNY, points {result.posting.points_posted:+}")
    return 0

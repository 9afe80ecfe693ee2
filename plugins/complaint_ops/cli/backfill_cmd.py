"""`complaint-ops backfill --from D1 --to D2`: create an Airflow backfill of the daily DAG (needs the
Airflow scheduler running against the same metadata DB; for an in-process re-run use `run-days`)."""

from __future__ import annotations

import shlex
import subprocess

from complaint_ops import backfill, settings
from complaint_ops.cli._common import parse_date


def register(sub) -> None:
    p = sub.add_parser("backfill", help="create an Airflow backfill of complaint_ops_daily over business dates")
    p.add_argument("--from", dest="date_from", type=parse_date, required=True)
    p.add_argument("--to", dest="date_to", type=parse_date, required=True)
    p.add_argument("--reprocess-behavior", choices=("none", "completed", "failed"), default="completed",
                   help="dates that already have a run: re-run completed ones (default), only failed ones, or none")
    p.add_argument("--max-active-runs", type=int)
    p.add_argument("--send", action="store_true", help="mail the digests of the backfilled dates (default: archive)")
    p.add_argument("--dry-run", action="store_true", help="let Airflow list the runs it would create")
    p.add_argument("--print-only", action="store_true", help="print the airflow command, do not run it")
    p.set_defaults(func=_backfill)


def _backfill(args) -> int:
    cmd = backfill.command(args.date_from, args.date_to, settings.business_timezone(),
                           reprocess=args.reprocess_behavior, max_active_runs=args.max_active_runs,
                           send=args.send, dry_run=args.dry_run)
    print(shlex.join(cmd))
    if args.print_only:
        return 0
    return subprocess.run(cmd, check=False).returncode

"""`complaint-ops backfill`: an Airflow backfill of the daily DAG over business dates, done right.

`airflow backfill create` reads bare dates as UTC midnight; the daily run fires at 19:30 Shanghai
(11:30 UTC), so `--to-date 2026-03-06` would silently drop the 6th. We pass both ends with the business
zone's offset, covering whole local days. Backfill runs archive their mail (the DAG sees run type
`backfill`) unless `send=True`.
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

DAG_ID = "complaint_ops_daily"


def window(first: dt.date, last: dt.date, tz: ZoneInfo) -> tuple[str, str]:
    """ISO timestamps with offsets covering local days first..last whole."""
    start = dt.datetime.combine(first, dt.time(0, 0), tzinfo=tz)
    end = dt.datetime.combine(last, dt.time(23, 59, 59), tzinfo=tz)
    return start.isoformat(), end.isoformat()


def command(first: dt.date, last: dt.date, tz: ZoneInfo, *, reprocess: str = "completed",
            max_active_runs: int | None = None, send: bool = False, dry_run: bool = False,
            dag_id: str = DAG_ID) -> list[str]:
    if last < first:
        raise ValueError("--to is before --from")
    start, end = window(first, last, tz)
    cmd = ["airflow", "backfill", "create", "--dag-id", dag_id, "--from-date", start, "--to-date", end,
           "--reprocess-behavior", reprocess]
    if max_active_runs:
        cmd += ["--max-active-runs", str(max_active_runs)]
    if send:
        cmd += ["--dag-run-conf", json.dumps({"send": True})]
    if dry_run:
        cmd.append("--dry-run")
    return cmd

"""What every complaint-ops DAG shares: owner, retries with backoff, failure mail to ops, the zone."""

from __future__ import annotations

import datetime as dt
import os

from complaint_ops import ops

TZ = os.environ.get("COMPLAINT_OPS_TZ", "Asia/Shanghai")
OWNER = "complaint-ops"


def default_args(**overrides) -> dict:
    args = {
        "owner": OWNER,
        "retries": 3,
        "retry_delay": dt.timedelta(minutes=2),
        "retry_exponential_backoff": True,
        "max_retry_delay": dt.timedelta(minutes=30),
        "on_failure_callback": ops.on_task_failure,
    }
    args.update(overrides)
    return args


def deadline_hours() -> float:
    """How long after its 19:30 start the daily run may take before ops hear of it (default 3 h: 22:30)."""
    return float(os.environ.get("COMPLAINT_OPS_DAILY_DEADLINE_HOURS", "3"))


def daily_deadline():
    """The daily run's Deadline Alert, or None when COMPLAINT_OPS_DAILY_DEADLINE_HOURS=0.

    Switched off for `airflow dags test`: Airflow 3.3.2's dag.test() path ends with
    AttributeError: 'dict' object has no attribute 'hex' (DagRun.update_state passes the in-memory
    DAG's alert objects where the serialized DAG has alert ids); scheduler runs are not affected."""
    hours = deadline_hours()
    if hours <= 0:
        return None
    from airflow.sdk import AsyncCallback, DeadlineAlert, DeadlineReference

    # Measured from when the run was queued: a scheduled run is queued at 19:30 (so 22:30), while a
    # backfill or catch-up run of a past date is not "late" the moment it is created.
    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=dt.timedelta(hours=hours),
        callback=AsyncCallback(ops.deadline_missed, kwargs={"deadline_hours": hours}),
    )

"""
### complaint_ops_daily — the daily run of the complaint-handling policy

Runs after each business day closes (19:30 Asia/Shanghai) for that business date:
calendar check → deadline scan, overdue accrual 压单, penalties and the append-only ledger.

**Business date:** the run's logical date in Asia/Shanghai (never `ds`, which is UTC); a trigger
without a logical date uses `run_after`; conf `{"business_date": "YYYY-MM-DD"}` overrides.
Non-working days run too and post nothing (their events are picked up by the next working day).

**Owner:** complaint-ops team. **Runbook:** a failed `calendar_check` means the business calendar
does not cover the date: `complaint-ops calendar fill` / `calendar override`. A failed `run_day`
is safe to retry or clear: a re-run posts only what changed. Backfills: see the README.
"""

from __future__ import annotations

import datetime as dt

import pendulum
from airflow.sdk import dag, get_current_context, task
from airflow.timetables.trigger import CronTriggerTimetable

from complaint_ops import tasks

TZ = "Asia/Shanghai"


@dag(
    dag_id="complaint_ops_daily",
    schedule=CronTriggerTimetable("30 19 * * *", timezone=TZ),
    start_date=pendulum.datetime(2026, 1, 1, tz=TZ),
    catchup=False,
    max_active_runs=4,
    tags=["complaint-ops", "daily"],
    doc_md=__doc__,
    default_args={
        "owner": "complaint-ops",
        "retries": 3,
        "retry_delay": dt.timedelta(minutes=2),
        "retry_exponential_backoff": True,
        "max_retry_delay": dt.timedelta(minutes=30),
    },
)
def complaint_ops_daily():
    @task(doc_md="The business date is on the business calendar; warns when the next 90 days are not.")
    def calendar_check() -> dict:
        return tasks.calendar_check(get_current_context())

    @task(doc_md="Deadline scan (I1-I3, E1-E4), O1 overdue, P1-P10 penalties, ledger reconcile.")
    def run_day() -> dict:
        return tasks.run_day(get_current_context())

    calendar_check() >> run_day()


complaint_ops_daily()

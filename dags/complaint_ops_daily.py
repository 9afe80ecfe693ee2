"""
### complaint_ops_daily — the daily run of the complaint-handling policy

Runs after each business day closes (19:30 Asia/Shanghai) for that business date:
`calendar_check` → `derive_orders` (deadline scan: stage orders, follow-ups, second-round
investigations) → `run_day` (O1 overdue 压单, P1–P10 penalties, the append-only ledger; D1 digests and
alerts queued in the same transaction) → `send_mail` (one pass over the outbox). `data_quality` runs
beside them, reading as the read-only role (Connection `complaints_db_reporting`), and mails its
findings to ops. Every other task connects as the application role (`complaints_db`), which may append
to the ledger but never edit or delete it (README, "Database roles").

**Business date:** the run's logical date in Asia/Shanghai (never `ds`, which is UTC); a trigger
without a logical date uses `run_after`; conf `{"business_date": "YYYY-MM-DD"}` overrides.
Non-working days run too and post nothing (their events count on the next working day); no custom
timetable, so `catchup=False` holds after backfills.

**Owner:** complaint-ops team (ops mailbox: `COMPLAINT_OPS_OPS_EMAIL`). Failures and a run not done
by 22:30 local (Deadline Alert) are mailed to ops.

**Runbook:** `calendar_check` failed → the calendar does not cover the date: `complaint-ops calendar
fill` / `calendar override`, then clear. `run_day` failed → nothing was half-posted (one transaction per
date); fix the cause and clear: a re-run posts only what changed. `send_mail` failures retry on the next
pass; `unknown` messages are never resent automatically (check the mailbox). Backfills archive their
mail: `complaint-ops backfill --from D1 --to D2` (README, "Backfills").
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, get_current_context, task
from airflow.timetables.trigger import CronTriggerTimetable

from complaint_ops import tasks
from complaint_ops.dag_defaults import TZ, daily_deadline, default_args


@dag(
    dag_id="complaint_ops_daily",
    schedule=CronTriggerTimetable("30 19 * * *", timezone=TZ),
    start_date=pendulum.datetime(2026, 1, 1, tz=TZ),
    catchup=False,
    max_active_runs=4,
    tags=["complaint-ops", "daily"],
    doc_md=__doc__,
    default_args=default_args(),
    deadline=daily_deadline(),
)
def complaint_ops_daily():
    @task(doc_md="The business date is on the business calendar; warns when the next 90 days are not.")
    def calendar_check() -> dict:
        return tasks.calendar_check(get_current_context())

    @task(doc_md="Deadline scan: derive stage orders, follow-ups and second-round investigations from the facts.")
    def derive_orders() -> dict:
        return tasks.derive_orders(get_current_context())

    @task(doc_md="O1 overdue, P1-P10 penalties, ledger reconcile; digests and alerts queued (archived on backfills).")
    def run_day() -> dict:
        return tasks.run_day(get_current_context())

    @task(doc_md="One pass over the outbox through yagmail; each due message attempted once.")
    def send_mail() -> dict:
        return tasks.send_mail(get_current_context())

    @task(doc_md="Calendar coverage, staff without e-mail, unknown departments, outbox failures -> ops.")
    def data_quality() -> dict:
        return tasks.data_quality(get_current_context())

    checked = calendar_check()
    checked >> derive_orders() >> run_day() >> send_mail()
    checked >> data_quality()


complaint_ops_daily()

"""
### complaint_ops_alerts — major complaints at once, and the outbox drained

Every 5 minutes: `raise_alerts` (A1/R3: a major or collective complaint received today is reported to
the department manager and the leadership at once, not in the next digest; one alert per incident,
whatever the number of runs) → `send_mail` (one pass over the outbox: digests of the daily run,
reports, alerts, retries of failed messages whose backoff has passed).

**Owner:** complaint-ops team. **Runbook:** failures retry by themselves on the next run; a message in
state `unknown` (connection lost after the data was sent) is never resent automatically — check the
recipient's mailbox, then resend or drop it with `complaint-ops mail`.
"""

from __future__ import annotations

import datetime as dt

import pendulum
from airflow.sdk import dag, get_current_context, task

from complaint_ops import tasks
from complaint_ops.dag_defaults import TZ, default_args


@dag(
    dag_id="complaint_ops_alerts",
    schedule=dt.timedelta(minutes=5),
    start_date=pendulum.datetime(2026, 1, 1, tz=TZ),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=dt.timedelta(minutes=10),
    tags=["complaint-ops", "alerts", "mail"],
    doc_md=__doc__,
    default_args=default_args(retries=1, retry_delay=dt.timedelta(seconds=30)),
)
def complaint_ops_alerts():
    @task(doc_md="Alerts for major/collective complaints received today (local), queued for mail.")
    def raise_alerts() -> dict:
        return tasks.raise_alerts(get_current_context())

    @task(doc_md="One pass over the outbox.")
    def send_mail() -> dict:
        return tasks.send_mail(get_current_context())

    raise_alerts() >> send_mail()


complaint_ops_alerts()

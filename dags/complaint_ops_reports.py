"""
### complaint_ops_reports — monthly statistics and the half-year review

Every morning at 08:00 Asia/Shanghai: `queue_reports` queues D2 (客户月投诉统计表, with charts) and
D3 (客户回访记录) on the first working day of a month for the month before, and D4 (half-year review)
on the first working day within the first 10 days of June and December; on other days it does
nothing. `send_mail` then makes one pass over the outbox. Report mails are unique per (recipient,
kind, period): re-running a day never sends one twice.

**Owner:** complaint-ops team. **Runbook:** a failed run can be cleared; to re-send a month's report to
someone who lost it, see `complaint-ops mail` in the README.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, get_current_context, task
from airflow.timetables.trigger import CronTriggerTimetable

from complaint_ops import tasks
from complaint_ops.dag_defaults import TZ, default_args


@dag(
    dag_id="complaint_ops_reports",
    schedule=CronTriggerTimetable("0 8 * * *", timezone=TZ),
    start_date=pendulum.datetime(2026, 1, 1, tz=TZ),
    catchup=False,
    max_active_runs=1,
    tags=["complaint-ops", "reports", "mail"],
    doc_md=__doc__,
    default_args=default_args(),
)
def complaint_ops_reports():
    @task(doc_md="D2/D3 monthly on the first working day, D4 in early June and December.")
    def queue_reports() -> dict:
        return tasks.queue_reports(get_current_context())

    @task(doc_md="One pass over the outbox.")
    def send_mail() -> dict:
        return tasks.send_mail(get_current_context())

    queue_reports() >> send_mail()


complaint_ops_reports()

"""What the operations team is told: task failures, a daily run late past its deadline, data quality.

Everything reaches ops by e-mail (COMPLAINT_OPS_OPS_EMAIL, comma-separated) through the same outbox and
yagmail sender as the digests, and is logged too. Callbacks never raise: a broken notifier must not hide
the failure it reports.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from dataclasses import dataclass

from sqlalchemy import inspect

from complaint_ops import business_calendar, db, redact

log = logging.getLogger(__name__)


def ops_recipients() -> list[str]:
    return [a.strip() for a in os.environ.get("COMPLAINT_OPS_OPS_EMAIL", "ops@example.com").split(",") if a.strip()]


def notify(subject: str, body: str, *, key: str, now: dt.datetime | None = None) -> None:
    """Queue one ops message (unique per `key`) and try to send it at once."""
    from complaint_ops import mail
    from complaint_ops.connections import engine_from_connection

    now = now or dt.datetime.now(dt.timezone.utc)  # a timestamp for the outbox row, not a decision
    # An exception's text may quote data (a database error's DETAIL): no phone number leaves unmasked.
    subject, body = redact.mask_phones(subject), redact.mask_phones(body)
    log.warning("ops: %s\n%s", subject, body)
    try:
        mail.send_ops(engine_from_connection(), subject=subject, body=body, key=key, recipients=ops_recipients(), now=now)
    except Exception:  # never mask the original failure
        log.exception("could not notify ops about: %s", subject)


def on_task_failure(context) -> None:
    """`on_failure_callback` of every task: which task of which run failed, and why."""
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    exc = context.get("exception")
    run_id = getattr(dag_run, "run_id", "?")
    subject = f"[complaint-ops] FAILED {getattr(ti, 'dag_id', '?')}.{getattr(ti, 'task_id', '?')} ({run_id})"
    body = (f"DAG run:  {run_id} ({getattr(dag_run, 'run_type', '?')})\n"
            f"Task:     {getattr(ti, 'task_id', '?')}, try {getattr(ti, 'try_number', '?')}\n"
            f"Error:    {type(exc).__name__ if exc else '?'}: {exc}\n\n"
            "A failed run posted nothing half-way (each business date is one transaction); clear the task to retry.")
    notify(subject, body, key=f"failure:{getattr(ti, 'dag_id', '')}:{run_id}:{getattr(ti, 'task_id', '')}:"
                              f"{getattr(ti, 'try_number', '')}")


async def deadline_missed(context: dict, **kwargs) -> None:
    """Deadline Alert callback (run by the triggerer): the daily run has not finished by its local deadline."""
    dag_run = context.get("dag_run") if isinstance(context, dict) else None
    if isinstance(dag_run, dict):  # what the triggerer hands over in Airflow 3.3
        run_id = dag_run.get("dag_run_id") or dag_run.get("run_id") or "?"
    else:
        run_id = getattr(dag_run, "run_id", None) or "?"
    subject = (f"[complaint-ops] daily run not finished {kwargs.get('deadline_hours', '?')} h after its start "
               f"({run_id})")
    body = ("The daily run of complaint_ops_daily is still not done. Digests and penalties for the day are late.\n"
            "Runbook: look at the run in the Airflow UI; a stuck task can be cleared; see the README.")
    await asyncio.to_thread(notify, subject, body, key=f"deadline:{run_id}")


@dataclass
class Finding:
    check: str
    count: int
    detail: str


def data_quality(engine, day: dt.date, days_ahead: int = 90) -> list[Finding]:
    """Problems ops should fix before they cost someone a wrong fine or a lost mail."""
    findings: list[Finding] = []
    with engine.connect() as conn:
        gaps = business_calendar.coverage_gaps(conn, day, days_ahead)
        if gaps:
            findings.append(Finding("calendar_coverage", len(gaps),
                                    f"{len(gaps)} of the next {days_ahead} days are not on the business calendar "
                                    f"(first {gaps[0]}): run `complaint-ops calendar fill` or enter the notice"))
        for check, name, what in (("staff_without_email", "dq_staff_without_email", "active staff without e-mail"),
                                  ("unknown_departments", "dq_unknown_departments",
                                   "complaints pointing at an unknown department")):
            rows = db.fetch(conn, name)
            if rows:
                findings.append(Finding(check, len(rows), f"{len(rows)} {what}: " + ", ".join(r["id"] for r in rows[:10])))
        if "mail_outbox" in inspect(conn).get_table_names():
            for r in db.fetch(conn, "dq_outbox_problems"):
                findings.append(Finding(f"outbox_{r['state']}", r["n"], f"{r['n']} outbox messages {r['state']}"
                                        + (" (never resent automatically: check the mailbox, then resend or drop)"
                                           if r["state"] == "unknown" else "")))
    return findings

"""What the DAGs' tasks do, one function each, so DAG files only wire them.

Every function takes the Airflow context, reaches our database through Connection `complaints_db`
(the application role on PostgreSQL; never Airflow's metadata DB) - or, when it only reads,
`complaints_db_reporting` (the read-only role) - logs, and returns a short JSON-able summary (the XCom).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from complaint_ops import alerts, business_calendar, daily, db, ops, orders, scheduling, settings
from complaint_ops.connections import database_role, engine_from_connection, reporting_engine
from complaint_ops.errors import CalendarRangeError
from complaint_ops.policy import load_policy

log = logging.getLogger(__name__)


def _day(context: Mapping[str, Any]) -> dt.date:
    return scheduling.from_context(context, settings.business_timezone())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)  # stamps rows (posted_at, queued_at); decides nothing


def mail_mode(context: Mapping[str, Any]) -> str:
    """Backfills archive their mail and send nothing, unless run conf says {"send": true} (issue 5, item 6)."""
    dag_run = context.get("dag_run")
    conf = getattr(dag_run, "conf", None) or {}
    if "send" in conf:
        return "send" if conf["send"] else "archive"
    run_type = getattr(getattr(dag_run, "run_type", ""), "value", None) or str(getattr(dag_run, "run_type", "") or "")
    return "archive" if run_type.lower() == "backfill" else "send"


def calendar_check(context: Mapping[str, Any], days: int = 90) -> dict:
    """The business date must be on the calendar (else fail: never guess); gaps ahead are a warning."""
    day = _day(context)
    engine = engine_from_connection()
    db.require_migrated(engine)
    with engine.connect() as conn:
        calendar = business_calendar.load(conn)
        if not calendar.first_day <= day <= calendar.last_day:
            raise CalendarRangeError(f"business date {day} is outside the business calendar "
                                     f"{calendar.first_day}..{calendar.last_day}: run `complaint-ops calendar fill`")
        gaps = business_calendar.coverage_gaps(conn, day, days)
    if gaps:
        log.warning("business calendar does not cover %d of the next %d days (first %s)", len(gaps), days, gaps[0])
    summary = {"business_date": day.isoformat(), "working_day": calendar.is_working(day), "uncovered_days_ahead": len(gaps)}
    log.info("calendar check: %s", summary)
    return summary


def derive_orders(context: Mapping[str, Any]) -> dict:
    """Deadline scan: derive the orders (stages, follow-ups, second-round) of every complaint whose facts changed."""
    engine = engine_from_connection()
    book = load_policy()
    tz = settings.business_timezone()
    with db.transaction(engine) as conn:
        orders.ensure_policy(conn, book, _now())
        result = orders.sync(conn, business_calendar.load(conn), book, tz, now=_now())
    summary = {"complaints": result.complaints, "orders_written": result.orders_written,
               "orders_removed": result.orders_removed, "complaints_generated": result.complaints_generated,
               "deferred_orders": result.deferred_orders}
    log.info("derive orders: %s", summary)
    return summary


def run_day(context: Mapping[str, Any]) -> dict:
    """O1 overdue, P1-P10 penalties and the ledger for the run's business date; digests queued in the
    same transaction (archived on a backfill)."""
    day = _day(context)
    summary = daily.run_day(engine_from_connection(), day, now=_now(), mail=mail_mode(context))
    log.info("%s", summary.line())
    return summary.as_dict()


def send_mail(context: Mapping[str, Any], limit: int | None = None) -> dict:
    """One pass over the outbox: each due message is attempted once (see complaint_ops.mail)."""
    from complaint_ops import mail

    result = mail.drain(engine_from_connection(), now=_now(), limit=limit)
    log.info("outbox pass: %s", result)
    return result


def raise_alerts(context: Mapping[str, Any]) -> dict:
    """A1/R3 at once: major and collective complaints received today (local), queued for mail."""
    from complaint_ops import digests

    day = _day(context)
    engine = engine_from_connection()
    with db.transaction(engine) as conn:
        calendar = business_calendar.load(conn)
        raised = alerts.raise_for_period(conn, day - dt.timedelta(days=1), day, load_policy(), _now())
        queued = digests.queue_alerts(conn, day, now=_now(), send=mail_mode(context) == "send")
    summary = {"business_date": day.isoformat(), "working_day": calendar.is_working(day), "alerts_raised": raised,
               "alert_mails_queued": queued}
    log.info("alerts: %s", summary)
    return summary


def queue_reports(context: Mapping[str, Any]) -> dict:
    """D2/D3 on the first working day of a month, D4 early in June and December (nothing on other days)."""
    from complaint_ops import digests

    day = _day(context)
    engine = engine_from_connection()
    with db.transaction(engine) as conn:
        queued = digests.queue_reports(conn, day, now=_now(), send=mail_mode(context) == "send")
    log.info("reports for %s: %s", day, queued)
    return {"business_date": day.isoformat(), **queued}


def data_quality(context: Mapping[str, Any]) -> dict:
    """Findings reach ops by mail (and the log); the task itself succeeds so the day's run goes on.
    It only reads, so it reads as the read-only reporting role (Connection `complaints_db_reporting`);
    the mail to ops is queued through `complaints_db` like every other message."""
    day = _day(context)
    engine = reporting_engine()
    findings = ops.data_quality(engine, day)
    if findings:
        body = "\n".join(f"- {f.check}: {f.detail}" for f in findings)
        ops.notify(f"[complaint-ops] data quality {day}: {len(findings)} findings", body, key=f"dq:{day}")
    return {"business_date": day.isoformat(), "findings": {f.check: f.count for f in findings},
            "read_as": database_role(engine)}

"""What the DAGs' tasks do, one function each, so DAG files only wire them.

Every function takes the Airflow context, reaches our database through Connection `complaints_db`
(never Airflow's metadata DB), logs, and returns a short JSON-able summary (shown as the task's XCom).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from complaint_ops import business_calendar, daily, db, scheduling, settings
from complaint_ops.connections import engine_from_connection
from complaint_ops.errors import CalendarRangeError

log = logging.getLogger(__name__)


def _day(context: Mapping[str, Any]) -> dt.date:
    return scheduling.from_context(context, settings.business_timezone())


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


def run_day(context: Mapping[str, Any]) -> dict:
    """Deadline scan, overdue accrual, penalties and the ledger for the run's business date."""
    day = _day(context)
    engine = engine_from_connection()
    # The clock only stamps posted_at; what is posted depends on the date and the data.
    summary = daily.run_day(engine, day, now=dt.datetime.now(dt.timezone.utc))
    log.info("%s", summary.line())
    return summary.as_dict()

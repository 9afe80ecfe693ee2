"""Which business date an Airflow run processes: one rule for scheduled, manual and backfill runs.

`ds` is the UTC date and is never used. The business date is the run's logical date read in the
business zone; a REST trigger without a logical date falls back to `run_after`; run conf
`{"business_date": "YYYY-MM-DD"}` overrides both (admins re-running a day).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from complaint_ops.errors import UserError


def business_date(conf: Mapping[str, Any] | None, logical_date: dt.datetime | None,
                  run_after: dt.datetime | None, tz: ZoneInfo) -> dt.date:
    if conf and conf.get("business_date"):
        value = conf["business_date"]
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise UserError(f"run conf business_date {value!r} is not a date (YYYY-MM-DD)") from None
    moment = logical_date or run_after
    if moment is None:
        raise UserError("the run has neither a logical date nor run_after: pass conf {\"business_date\": ...}")
    if moment.tzinfo is None:
        raise UserError(f"{moment!r} has no timezone")
    return moment.astimezone(tz).date()


def from_context(context: Mapping[str, Any], tz: ZoneInfo) -> dt.date:
    """The business date of the running task's DAG run (Airflow task context)."""
    dag_run = context.get("dag_run")
    conf = getattr(dag_run, "conf", None) or {}
    return business_date(conf, context.get("logical_date"), getattr(dag_run, "run_after", None), tz)

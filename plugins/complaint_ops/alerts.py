"""A1 / R3: a major complaint — or a collective one (3+ customers, same problem, 7 days) — is reported
at once, not in the next digest. The daily run raises an alert row once per incident (unique key);
the mail side sends it.
"""

from __future__ import annotations

import datetime as dt
import json

from complaint_ops import db, facts
from complaint_ops.policy import PolicyBook


def raise_for_period(conn, prev_day: dt.date, day: dt.date, book: PolicyBook, now: dt.datetime) -> int:
    """Alerts for complaints received in the run's period (prev working day, day]; returns how many are new."""
    rows = []
    received = db.fetch(conn, "alerts_received_in_period", prev_date=prev_day, day=day)
    counts = facts.Counts(conn)  # capped R3 counts of the whole period in one statement: who may be collective
    counts.prefetch(received, lambda c: book.in_force(c["received_date"]))
    for c in received:
        policy = book.in_force(c["received_date"])
        if c["major"]:
            rows.append(_alert(f"major:{c['id']}", "major", c, {"summary": c["summary"][:200]}, now))
        if c["problem_code"] and counts.get(c, policy)[1] >= policy.collective.min_customers:
            n = facts.collective_customers(conn, c, policy, cap=100_000)  # the alert tells the real count
            if n >= policy.collective.min_customers:
                # one alert per burst: keyed by the earliest complaint of the window
                first = db.fetch(conn, "alerts_collective_first", problem_code=c["problem_code"],
                                 window_start_at=c["received_at"] - dt.timedelta(days=policy.collective.window_days),
                                 received_at=c["received_at"])[0]["id"]
                rows.append(_alert(f"collective:{c['problem_code']}:{first}", "collective", c,
                                   {"problem_code": c["problem_code"], "customers": n}, now))
    if not rows:
        return 0
    known = {r["alert_key"] for r in db.fetch(conn, "alerts_existing", record_ids=[r["alert_key"] for r in rows])}
    new = [r for r in {r["alert_key"]: r for r in rows}.values() if r["alert_key"] not in known]
    if new:
        conn.execute(db.query("alerts_insert"), new)
    return len(new)


def _alert(key: str, kind: str, c: dict, details: dict, now: dt.datetime) -> dict:
    return {"alert_key": key, "kind": kind, "complaint_id": c["id"], "business_date": c["received_date"],
            "raised_at": c["received_at"], "details": json.dumps(details, ensure_ascii=False), "created_at": now}


def for_day(conn, day: dt.date) -> list[dict]:
    return db.fetch(conn, "alerts_for_day", business_date=day)

"""A company, a filled calendar and helpers to import records and run dates, for integration tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import text

from complaint_ops import business_calendar, daily, intake, ledger
from tests.factories import NOW, org


class Scenario:
    def __init__(self, engine):
        self.engine = engine
        with engine.begin() as conn:
            business_calendar.fill(conn, dt.date(2025, 1, 1), dt.date(2026, 12, 31))
        self.load(org())

    def load(self, records):
        report = intake.import_records(self.engine, records, "test", now=NOW)
        assert report.ok, report.rejected
        return report

    def run(self, first: str, last: str | None = None, **kw):
        d1 = dt.date.fromisoformat(first)
        d2 = dt.date.fromisoformat(last or first)
        return daily.run_days(self.engine, d1, d2, now=NOW, **kw)

    def entries(self, **kw):
        with self.engine.connect() as conn:
            return ledger.entries(conn, **kw)

    def net(self):
        with self.engine.connect() as conn:
            return ledger.net_by_party(conn)

    def o1(self, order_key):
        """Net O1 fine of one order."""
        return sum((e["fine_amount"] for e in self.entries() if e["order_key"] == order_key), Decimal("0.00"))

    def ledger_content(self):
        """The ledger without ids and timestamps: equal for equal postings."""
        with self.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT entry_key, entry_type, business_date, rule, kind, complaint_id, order_key, staff_id, team_id, "
                "fine_amount, points, multiplier, policy_version, content_hash FROM ledger")).all()
        return sorted((r[0], r[1], str(r[2]), r[3], r[4], r[5], r[6], r[7], r[8], Decimal(str(r[9])).quantize(Decimal("0.01")),
                       r[10], r[11], r[12], r[13]) for r in rows)

"""End to end over demo data (SQLite and PostgreSQL): a backfill in order and one in random order
give the same ledger, re-running changes nothing, and O1 matches an independent computation."""

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import text

from complaint_ops import business_calendar, daily, demo
from tests.factories import NOW
from tests.scenario import Scenario

END = dt.date(2026, 6, 30)
TZ = ZoneInfo("Asia/Shanghai")


def _demo(engine) -> Scenario:
    with engine.begin() as conn:
        business_calendar.fill(conn, dt.date(2025, 1, 1), dt.date(2026, 12, 31))
    result = demo.load(engine, demo.generate(months=2, seed=7, end_date=END), now=NOW, source="demo")
    assert not result.rejected
    s = Scenario.__new__(Scenario)
    s.engine = engine
    return s


def test_backfill_in_random_order_equals_in_order_and_reruns_post_nothing(engine, pg_or_sqlite_second):
    ordered, shuffled = _demo(engine), _demo(pg_or_sqlite_second)
    ordered.run("2026-05-01", "2026-06-30")
    days = [dt.date(2026, 5, 1) + dt.timedelta(days=i) for i in range(61)]
    random.Random(5).shuffle(days)
    for day in days:
        daily.run_day(shuffled.engine, day, now=NOW)
    content = ordered.ledger_content()
    assert len(content) > 100
    assert shuffled.ledger_content() == content
    again = ordered.run("2026-05-01", "2026-06-30")
    assert sum(s.entries_posted + s.entries_reversed for s in again) == 0
    assert ordered.ledger_content() == content


def test_O1_totals_match_an_independent_day_by_day_computation(engine):
    s = _demo(engine)
    s.run("2026-05-01", "2026-06-30")
    with engine.connect() as conn:
        calendar = business_calendar.load(conn)
        orders = conn.execute(text(
            "SELECT o.order_key, o.due_at, o.stop_at, o.owner_id, o.owner_role, c.handler_id, d.manager_id, "
            "(SELECT MIN(id) FROM staff WHERE role = 'gm_secretary') AS secretary "
            "FROM orders o JOIN complaints c ON c.id = o.complaint_id "
            "JOIN departments d ON d.id = c.target_department_id")).mappings().all()
    from complaint_ops.db import as_utc

    expected: dict[str, Decimal] = defaultdict(Decimal)
    for o in orders:  # a plain reading of POLICY O1, one order and one day at a time
        due = as_utc(o["due_at"]).astimezone(TZ)
        stop = o["stop_at"] and as_utc(o["stop_at"]).astimezone(TZ)
        owner = o["owner_id"] or (o["manager_id"] if o["owner_role"] == "department_head"
                                  else o["handler_id"] or o["secretary"])
        day = due.date()
        while day <= END:
            if calendar.is_working(day):
                end_of_day = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=TZ)
                if day == due.date():
                    charged = stop is None or stop > due
                else:
                    charged = stop is None or stop >= end_of_day
                if charged and day >= dt.date(2026, 5, 1):
                    expected[owner] += Decimal("50.00")
            day += dt.timedelta(days=1)
    posted: dict[str, Decimal] = defaultdict(Decimal)
    for e in s.entries():
        if e["rule"] == "O1":
            posted[e["party"]] += e["fine_amount"]
    assert {k: v for k, v in posted.items() if v} == {k: v for k, v in expected.items() if v}
    assert sum(expected.values()) > 0

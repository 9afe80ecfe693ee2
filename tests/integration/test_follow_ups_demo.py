"""Issue 4 end to end over six months of demo data (SQLite and PostgreSQL)."""

import datetime as dt
import random

from sqlalchemy import text

from complaint_ops import business_calendar, daily, demo
from tests.factories import NOW

END = dt.date(2026, 9, 30)
START = dt.date(2026, 4, 1)


def test_six_months_of_follow_ups(engine):
    with engine.begin() as conn:
        business_calendar.fill(conn, dt.date(2025, 1, 1), dt.date(2026, 12, 31))
    assert not demo.load(engine, demo.generate(months=6, seed=7, end_date=END), now=NOW, source="demo").rejected
    daily.run_days(engine, START, END, now=NOW)

    def snapshot():
        with engine.connect() as conn:
            return (sorted(tuple(r) for r in conn.execute(text("SELECT order_key, source_hash FROM orders"))),
                    sorted(tuple(r) for r in conn.execute(text("SELECT entry_key, content_hash FROM ledger"))),
                    sorted(r[0] for r in conn.execute(text("SELECT id FROM complaints"))),
                    sorted(r[0] for r in conn.execute(text("SELECT alert_key FROM alerts"))))

    first = snapshot()
    with engine.connect() as conn:
        closed = conn.execute(text(
            "SELECT c.id, c.anonymous, c.reply_letter_only FROM complaints c WHERE c.kind = 'external' "
            "AND EXISTS (SELECT 1 FROM events e WHERE e.complaint_id = c.id AND e.stage = 'E4') "
            "AND NOT EXISTS (SELECT 1 FROM events w WHERE w.complaint_id = c.id AND w.event_type = 'withdrawn')")).all()
        kinds = {}
        for key, kind in conn.execute(text("SELECT order_key, kind FROM orders WHERE kind <> 'stage'")):
            kinds.setdefault(key.split(":")[0], []).append((key, kind))
        second_round = conn.execute(text(
            "SELECT c.id, c.second_round_of, f.id FROM complaints c LEFT JOIN complaints f ON f.id = c.second_round_of "
            "WHERE c.origin = 'S2'")).all()
    assert len(closed) > 50
    for cid, anonymous, letter_only in closed:
        mine = kinds.get(cid, [])
        assert [k for k, kind in mine if kind == "assignment"] == [f"{cid}:F1:assignment"]
        revisits = sorted(k for k, kind in mine if kind == "revisit" and ":revisit:" in k)
        if anonymous or letter_only:
            assert revisits == [] and f"{cid}:F3:reply_letter" in dict(mine)
        else:
            assert revisits == [f"{cid}:revisit:{n}" for n in (1, 2, 3)]
    assert second_round, "the demo has unhappy second-round results"
    for sid, origin, found in second_round:
        assert sid == f"{origin}-S2" and found == origin

    months = [(dt.date(2026, m, 1), dt.date(2026, m + 1, 1) - dt.timedelta(days=1)) for m in range(4, 10)]
    random.Random(9).shuffle(months)
    for d1, d2 in months:
        daily.run_days(engine, d1, d2, now=NOW)
    assert snapshot() == first

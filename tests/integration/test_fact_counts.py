"""R2/R3 counts of a batch (facts.Counts, one statement per policy window) equal the one-row queries,
on both databases, up to the window's edge: a complaint filed exactly `window` before is outside
(`>`), one a second later is inside. The order sync and the daily run rely on the batch form."""

from __future__ import annotations

import datetime as dt

from complaint_ops import db, facts, intake
from complaint_ops.policy import load_policy
from tests.factories import NOW, complaint, org

BASE = dt.datetime(2026, 6, 30, 10, 0, 0, 123456, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _at(delta: dt.timedelta) -> str:
    return (BASE + delta).isoformat()


def test_batch_counts_equal_one_row_counts(engine):
    policy = load_policy().in_force(BASE.date())
    r2 = dt.timedelta(days=policy.severity.medium_repeat_window_days)
    r3 = dt.timedelta(days=policy.collective.window_days)
    records = org() + [
        complaint("EDGE_R2", received_at=_at(-r2), problem_code="P1", customer_id="K2"),  # outside R2: `>`
        complaint("IN_R2", received_at=_at(-r2 + dt.timedelta(seconds=1)), problem_code="P9"),
        complaint("EDGE_R3", received_at=_at(-r3), category="contract", problem_code="P1", customer_id="K3"),
        complaint("IN_R3", received_at=_at(-r3 + dt.timedelta(seconds=1)), category="contract", problem_code="P1",
                  customer_id="K2"),
        complaint("DUP", received_at=_at(-dt.timedelta(days=1)), problem_code="P1", customer_id="K1",
                  duplicate_of="IN_R2"),  # R2 skips duplicates
        complaint("OTHER_CAT", received_at=_at(-dt.timedelta(days=2)), category="contract", problem_code="P1",
                  customer_id="K1"),
        complaint("LAST", received_at=_at(dt.timedelta(0)), problem_code="P1", customer_id="K1"),
        complaint("NO_CODE", received_at=_at(dt.timedelta(hours=1)), customer_id="K1"),
        complaint("LATER", received_at=_at(dt.timedelta(days=1)), problem_code="P1", customer_id="K2"),
        # R1: K2's problem P1, already filed with FIN (IN_R3, LATER), now with CS
        complaint("R1_CS", received_at=_at(dt.timedelta(days=2)), problem_code="P1", customer_id="K2",
                  target_department_id="CS"),
    ]
    report = intake.import_records(engine, records, "counts", now=NOW)
    assert not report.rejected, report.rejected
    ids = [r["id"] for r in records if r["type"] == "complaint"]
    with engine.connect() as conn:
        rows = facts.rows(conn, ids)
        counts = facts.Counts(conn)
        counts.prefetch(rows, lambda row: policy)
        seen = []
        for row in rows:
            batch = counts.get(row, policy)
            one = (facts.repeat_count(conn, row, policy), facts.collective_customers(conn, row, policy))
            assert batch == one, (row["id"], batch, one)
            if not row["duplicate_of"]:  # R1 found: the batch's earlier duplicate is the one-row query's
                assert facts.duplicate_of(conn, row, counts) == facts.duplicate_of(conn, row), row["id"]
            seen.append((row["id"], one))
    by_id = dict(seen)
    # The windows' edges: LAST counts IN_R2 and itself, not EDGE_R2 (filed exactly one R2 window before)
    # nor DUP; customers K1 and K2 (IN_R3), not K3 (EDGE_R3, exactly one R3 window before).
    assert policy.severity.medium_repeat_count > 2 and policy.collective.min_customers > 2  # below the caps
    assert by_id["LAST"] == (2, 2)
    assert by_id["NO_CODE"][1] == 1
    assert counts.duplicates["R1_CS"] == "IN_R3"  # the earliest of K2 P1 filed elsewhere within 30 days


def test_uncached_falls_back_to_one_row_query(engine):
    policy = load_policy().in_force(BASE.date())
    intake.import_records(engine, org() + [complaint("A", received_at=_at(dt.timedelta(0)), problem_code="P1")],
                          "counts", now=NOW)
    with engine.connect() as conn:
        row = facts.rows(conn, ["A"])[0]
        counts = facts.Counts(conn)  # nothing prefetched
        assert facts.repeat_count(conn, row, policy, counts) == facts.repeat_count(conn, row, policy) == 1
        assert db.fetch(conn, "daily_repeat_count", department_id="FIN", category="service",
                        window_start_at=row["received_at"] - dt.timedelta(days=1), received_at=row["received_at"],
                        cap=5)[0]["repeat_count"] == 1

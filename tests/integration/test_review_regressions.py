"""Defects found in review, each pinned by a scenario (SQLite and PostgreSQL)."""

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import text

from complaint_ops import approvals
from complaint_ops.errors import UserError
from complaint_ops.policy import load_policy
from tests.factories import complaint, event
from tests.reliability import checks
from tests.scenario import NOW, Scenario

D = Decimal
UTC = dt.timezone.utc


@pytest.fixture
def s(engine):
    return Scenario(engine)


def internal(cid, received, **kw):
    return complaint(cid, kind="internal", filer_id="HEAD_CS", handler_id="SEC", customer_id=None,
                     received_at=received, **kw)


def net(s, rule, **match):
    return sum((e["fine_amount"] for e in s.entries() if e["rule"] == rule
                and all(e.get(k) == v for k, v in match.items())), D("0.00"))


def test_P10_approved_waiver_is_reversed_when_a_timely_I1_reply_is_entered_late(s):
    s.load([internal("C1", "2026-03-03T10:00:00+08:00"),
            event("f", "C1", None, "2026-03-03T11:00:00+08:00", event_type="forwarded"),
            event("i3", "C1", "I3", "2026-03-05T09:00:00+08:00")])
    s.run("2026-03-02", "2026-03-06")
    with s.engine.connect() as conn:
        waiver = approvals.listing(conn)[0]
    assert waiver["id"] == "C1:I1"
    approvals.decide(s.engine, waiver["id"], "approved", by="GM", at=dt.datetime(2026, 3, 9, 2, tzinfo=UTC))
    assert net(s, "P10") == D("50.00")
    s.load([event("i1", "C1", "I1", "2026-03-04T09:00:00+08:00")])  # it did reply in time
    s.run("2026-03-01", "2026-03-31")
    assert (net(s, "P10"), net(s, "O1", order_key="C1:I1")) == (D("0.00"), D("0.00"))


def test_P10_waiting_waiver_becomes_superseded_and_cannot_be_approved(s):
    s.load([internal("C1", "2026-03-03T10:00:00+08:00"),
            event("f", "C1", None, "2026-03-03T11:00:00+08:00", event_type="forwarded")])
    s.run("2026-03-04")
    s.load([event("i1", "C1", "I1", "2026-03-04T09:00:00+08:00")])
    s.run("2026-03-04")
    with s.engine.connect() as conn:
        assert [p["status"] for p in approvals.listing(conn, "all")] == ["superseded"]
    with pytest.raises(UserError, match="superseded"):
        approvals.decide(s.engine, "C1:I1", "approved", by="GM", at=NOW)


def test_corrected_facts_supersede_the_old_severe_proposal(s):
    s.load([complaint("C1", loss_amount="300.00", upheld=True, decided_at="2026-03-04T10:00:00+08:00")])
    s.run("2026-03-04")
    s.load([complaint("C1", loss_amount="600.00", upheld=True, decided_at="2026-03-04T10:00:00+08:00")])
    s.run("2026-03-04")
    with s.engine.connect() as conn:
        rows = approvals.listing(conn, "all")
    assert sorted((r["status"], r["points"]) for r in rows) == [("proposed", -20), ("superseded", -10)]


def test_F5_is_withdrawn_when_E4_turns_out_done_in_time(s):
    s.load([complaint("C1", received_at="2026-03-02T09:00:00+08:00")] + [
        event(f"e{i}", "C1", f"E{i}", f"2026-03-03T09:{i * 10:02d}:00+08:00") for i in (1, 2, 3)])
    s.run("2026-03-02", "2026-03-06")  # E4 due Wed 03-04 09:30, looks missed
    assert net(s, "P1", complaint_id="C1-F5") == D("50.00")
    s.load([event("e4", "C1", "E4", "2026-03-04T09:00:00+08:00")])
    s.run("2026-03-01", "2026-03-31")
    assert all(net(s, rule, complaint_id="C1-F5") == 0 for rule in ("P1", "P5", "O1"))
    with s.engine.connect() as conn:
        kinds = [r[0] for r in conn.execute(text("SELECT event_type FROM events WHERE complaint_id = 'C1-F5'"))]
    assert kinds == ["withdrawn"]


def test_a_policy_change_derives_deadlines_again_even_in_a_what_if(s, tmp_path):
    s.load([internal("C1", "2026-03-03T10:00:00+08:00")])  # I2 due Wed 03-04 10:00 (1 WD)
    s.run("2026-03-04", "2026-03-06")
    assert net(s, "O1", order_key="C1:I2") == D("150.00")
    draft = tmp_path / "draft.yaml"
    draft.write_text(open(load_policy().source, encoding="utf-8").read().replace("I2: 1,", "I2: 3,"), encoding="utf-8")
    summaries = s.run("2026-03-04", "2026-03-06", book=load_policy(draft), dry_run=True)
    changes = sum((r["fine_amount"] for x in summaries for r in x.changes if r["order_key"] == "C1:I2"), D("0"))
    assert changes == D("-100.00")  # due Fri instead of Wed: only Friday's breach remains
    assert net(s, "O1", order_key="C1:I2") == D("150.00")  # dry run: nothing written


def test_a_complaint_beyond_the_calendar_does_not_stop_other_dates(s):
    from complaint_ops import intake

    s.load([internal("C1", "2026-03-03T10:00:00+08:00")])
    late = intake.import_records(s.engine, [internal("C2", "2026-12-31T10:00:00+08:00")], "test",
                                 now=dt.datetime(2027, 1, 10, tzinfo=UTC))
    assert late.ok
    summary = s.run("2026-03-04")[0]
    assert any("2 orders are due beyond the business calendar" in w for w in summary.warnings)
    assert net(s, "O1", order_key="C1:I2") == D("50.00")
    with s.engine.connect() as conn:
        parked = conn.execute(text("SELECT deferred_until FROM order_sync_queue WHERE complaint_id = 'C2'")).scalar()
    assert str(parked) == "2026-12-31"  # parked until the calendar reaches further, not re-derived every run
    assert s.run("2026-03-05")[0].orders_synced == 0


def test_R2_window_of_each_state_comes_from_its_own_policy_version(s, tmp_path):
    base = open(load_policy().source, encoding="utf-8").read()
    two = base + base[base.index("  - version:"):].replace('version: "2021-12-16"', 'version: "2026-03-05"').replace(
        "effective_from: 2021-12-16", "effective_from: 2026-03-05").replace("medium_repeat_window_days: 180",
                                                                               "medium_repeat_window_days: 10")
    path = tmp_path / "two.yaml"
    path.write_text(two, encoding="utf-8")
    book = load_policy(path)
    s.load([complaint(f"P{i}", received_at=f"2026-0{i}-02T10:00:00+08:00") for i in (1, 2)]
           + [complaint("C1", upheld=True, decided_at="2026-03-04T10:00:00+08:00")])
    s.run("2026-03-04", book=book)  # third in 180 days under version 1: medium, 100
    s.load([event("d", "C1", None, "2026-03-10T10:00:00+08:00", event_type="decision", outcome="rejected")])
    s.run("2026-03-10", book=book)
    assert net(s, "P1", complaint_id="C1") == D("0.00")


# Found by the reliability state machine (issue 8): F5 depended on when a withdrawal became known.

def _f5_case(s):
    s.load([complaint("C1", received_at="2026-03-02T09:00:00+08:00")] + [
        event(f"e{i}", "C1", f"E{i}", f"2026-03-03T09:{i * 10:02d}:00+08:00") for i in (1, 2, 3)])  # E4 due 03-04 09:30


def test_F5_stands_when_the_complaint_is_withdrawn_after_the_missed_E4_whatever_the_order_facts_arrive(
        engine, pg_or_sqlite_second):
    early, late = Scenario(engine), Scenario(pg_or_sqlite_second)
    for s in (early, late):
        _f5_case(s)
    early.run("2026-03-02", "2026-03-06")  # E4 open past its deadline: F5 raised on 03-04
    withdrawn = event("w", "C1", None, "2026-03-05T10:00:00+08:00", event_type="withdrawn")
    for s in (early, late):
        s.load([withdrawn])  # E4 was missed all the same (the breach of C1:E4 stays too)
        s.run("2026-03-01", "2026-03-31")
    standing = [checks.active_entries(checks.ledger_rows(x.engine)) for x in (early, late)]
    assert standing[0] == standing[1]  # early's history has reversals (03-05's accrual); what stands is equal
    assert net(late, "P1", complaint_id="C1-F5") == D("50.00") and net(late, "O1", order_key="C1:E4") == D("50.00")


def test_F5_is_withdrawn_when_the_complaint_turns_out_withdrawn_before_the_E4_deadline(s):
    _f5_case(s)
    s.run("2026-03-02", "2026-03-06")
    assert net(s, "P1", complaint_id="C1-F5") == D("50.00")
    s.load([event("w", "C1", None, "2026-03-04T09:00:00+08:00", event_type="withdrawn")])
    s.run("2026-03-01", "2026-03-31")
    assert all(net(s, rule, complaint_id="C1-F5") == 0 for rule in ("P1", "P5", "O1"))
    assert net(s, "O1", order_key="C1:E4") == 0

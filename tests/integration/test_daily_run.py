"""The daily run on SQLite and PostgreSQL: POLICY.md §3-§4 worked examples, idempotency, corrections."""

import datetime as dt
import random
import threading
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from complaint_ops import approvals, daily
from complaint_ops.cli import main
from tests.factories import complaint, event
from tests.scenario import NOW, Scenario

D = Decimal


@pytest.fixture
def s(engine):
    return Scenario(engine)


def internal(cid, received, **kw):
    return complaint(cid, kind="internal", filer_id="HEAD_CS", handler_id="SEC", customer_id=None,
                     received_at=received, **kw)


# --- O1 overdue 压单 --------------------------------------------------------------------------------
# Internal complaint filed Tue 2026-03-03 10:00: I2 is due Wed 2026-03-04 10:00 (1 WD), owner the GM secretary.

def _o1_case(s, done_at=None):
    records = [internal("C1", "2026-03-03T10:00:00+08:00"),
               event("i3", "C1", "I3", "2026-03-20T10:00:00+08:00")]  # closed much later
    if done_at:
        records.append(event("i2", "C1", "I2", done_at))
    s.load(records)
    s.run("2026-03-02", "2026-03-13")
    return s.o1("C1:I2")


def test_O1_done_the_same_day_after_the_deadline_costs_50(s):
    assert _o1_case(s, "2026-03-04T15:00:00+08:00") == D("50.00")


def test_O1_done_friday_morning_costs_100_for_wednesday_and_thursday(s):
    assert _o1_case(s, "2026-03-06T09:00:00+08:00") == D("100.00")


def test_O1_still_open_on_monday_evening_costs_200(s):
    # open until the I3 closing on the 20th: Wed, Thu, Fri, Mon = 200 by Monday evening
    records = [internal("C1", "2026-03-03T10:00:00+08:00")]
    s.load(records)
    s.run("2026-03-02", "2026-03-09")
    assert s.o1("C1:I2") == D("200.00")
    assert {e["staff_id"] if "staff_id" in e else e["party"] for e in s.entries()} == {"SEC"}


def test_O1_done_in_time_costs_nothing(s):
    assert _o1_case(s, "2026-03-04T09:59:00+08:00") == D("0.00")


def test_O1_stops_accruing_when_the_complaint_closes(s):
    s.load([internal("C1", "2026-03-03T10:00:00+08:00"), event("i3", "C1", "I3", "2026-03-05T11:00:00+08:00")])
    s.run("2026-03-02", "2026-03-13")
    assert s.o1("C1:I2") == D("50.00")  # breach on Wednesday; closed Thursday 11:00 before the day ended


def test_O1_accrual_skips_the_spring_festival(s):
    # I2 due Sat 2026-02-14 10:00 (make-up working day), open until Wed 25th 12:00:
    # charged 14th (breach), 24th (open at its end) = 100; 15th-23rd are holidays
    s.load([internal("C1", "2026-02-13T10:00:00+08:00"), event("i2", "C1", "I2", "2026-02-25T12:00:00+08:00"),
            event("i3", "C1", "I3", "2026-02-25T13:00:00+08:00")])
    s.run("2026-02-10", "2026-02-28")
    days = sorted(str(e["business_date"]) for e in s.entries() if e["order_key"] == "C1:I2")
    assert days == ["2026-02-14", "2026-02-24"]


# --- P10 and approval -----------------------------------------------------------------------------

def test_P10_no_reply_at_I1_records_a_waiver_proposed_to_the_general_manager(s):
    s.load([internal("C1", "2026-03-03T10:00:00+08:00"),
            event("f", "C1", None, "2026-03-03T11:00:00+08:00", event_type="forwarded"),
            event("i2", "C1", "I2", "2026-03-03T16:00:00+08:00"), event("i3", "C1", "I3", "2026-03-05T09:00:00+08:00")])
    s.run("2026-03-02", "2026-03-06")
    with s.engine.connect() as conn:
        proposals = approvals.listing(conn)
    assert [(p["rule"], p["party"], p["fine_amount"], p["points"]) for p in proposals] == [("P10", "HEAD_FIN", D("50.00"), -2)]
    assert s.o1("C1:I1") == D("50.00")  # the breach itself posts automatically (O1)
    result = approvals.decide(s.engine, proposals[0]["id"], "approved", by="GM", at=dt.datetime(2026, 3, 9, 2, tzinfo=dt.timezone.utc))
    assert result.posting.entries_posted == 1
    assert approvals.decide(s.engine, proposals[0]["id"], "approved", by="GM", at=NOW).already_decided
    p10 = [e for e in s.entries() if e["rule"] == "P10"]
    assert [(str(e["business_date"]), e["fine_amount"], e["points"]) for e in p10] == [("2026-03-09", D("50.00"), -2)]
    before = s.ledger_content()
    s.run("2026-03-09")  # the day's full run finds the approval already posted
    assert s.ledger_content() == before


# --- complaint penalties --------------------------------------------------------------------------

def test_P1_light_penalty_posts_on_the_decision_date(s):
    s.load([complaint("C1", upheld=True, decided_at="2026-03-04T10:00:00+08:00"),
            event("e1", "C1", "E1", "2026-03-02T12:00:00+08:00")])
    s.run("2026-03-02", "2026-03-06")
    p1 = [e for e in s.entries() if e["rule"] == "P1"]
    assert [(str(e["business_date"]), e["party"], e["fine_amount"], e["points"]) for e in p1] == [
        ("2026-03-04", "HEAD_FIN", D("50.00"), -2)]  # P8: no staff or team named -> the department manager


def test_R1_duplicates_and_rejected_complaints_cost_nothing(s):
    s.load([complaint("C1", upheld=False, decided_at="2026-03-04T10:00:00+08:00"),
            complaint("C2", duplicate_of="C1", upheld=True, decided_at="2026-03-04T10:00:00+08:00")])
    s.run("2026-03-04")
    assert [e for e in s.entries() if e["rule"] != "O1"] == []


def test_worked_example_external_800_individual_supervisor_second_round(s):
    """fine 400, points -40, loss recovery 800, supervisor 80 — posted once the general manager approves."""
    s.load([complaint("C0", upheld=True, decided_at="2026-02-02T10:00:00+08:00", received_at="2026-01-30T10:00:00+08:00"),
            complaint("C1", loss_amount="800.00", target_staff_id="ACC1", second_round_of="C0",
                      upheld=True, decided_at="2026-03-04T10:00:00+08:00")])
    s.run("2026-03-04")
    with s.engine.connect() as conn:
        proposals = approvals.listing(conn)
    got = {(p["rule"], p["kind"], p["party"]): (p["fine_amount"], p["points"]) for p in proposals}
    assert got == {("P1", "fine", "ACC1"): (D("400.00"), -40), ("P4", "loss_recovery", "ACC1"): (D("800.00"), 0),
                   ("P5", "fine", "HEAD_FIN"): (D("80.00"), 0)}
    for p in proposals:
        approvals.decide(s.engine, p["id"], "approved", by="GM", at=dt.datetime(2026, 3, 5, 3, tzinfo=dt.timezone.utc))
    posted = {(e["rule"], e["kind"], e["party"]): (e["fine_amount"], e["points"]) for e in s.entries()
              if e["complaint_id"] == "C1" and e["rule"] != "O1"}
    assert posted == got
    assert s.net()["staff:ACC1"][0] >= D("400.00")


def test_P9_proposals_of_two_complaints_with_equal_amounts_have_distinct_short_ids(s):
    s.load([complaint("C1", loss_amount="100.00", upheld=True, decided_at="2026-03-04T10:00:00+08:00"),
            complaint("C2", loss_amount="100.00", upheld=True, decided_at="2026-03-04T11:00:00+08:00")])
    s.run("2026-03-04")
    with s.engine.connect() as conn:
        ids = [p["id"] for p in approvals.listing(conn)]
    assert len(ids) == 2 and len(set(ids)) == 2


def test_rejected_proposal_posts_nothing(s):
    s.load([complaint("C1", loss_amount="100.00", upheld=True, decided_at="2026-03-04T10:00:00+08:00")])
    s.run("2026-03-04")
    with s.engine.connect() as conn:
        p = approvals.listing(conn)[0]
    approvals.decide(s.engine, p["id"], "rejected", by="GM", at=NOW, reason="mitigating circumstances")
    s.run("2026-03-04", "2026-03-06")
    assert [e for e in s.entries() if e["rule"] == "P1"] == []


# --- idempotency and corrections ------------------------------------------------------------------

def _month(s):
    rng = random.Random(3)
    records = []
    for i in range(12):
        day = 2 + i * 2
        received = f"2026-03-{day:02d}T{9 + i % 8:02d}:30:00+08:00"
        kw = {"upheld": i % 3 != 0, "decided_at": f"2026-03-{day + 1:02d}T15:00:00+08:00"}
        if i % 4 == 1:
            kw["bad_attitude"] = True
        records.append(complaint(f"C{i}", received_at=received, **kw))
        if rng.random() < 0.7:
            records.append(event(f"e{i}", f"C{i}", "E1", f"2026-03-{day + rng.choice((0, 1, 3)):02d}T17:00:00+08:00"))
    s.load(records)


def test_L1_running_a_date_twice_posts_nothing_new(s):
    _month(s)
    s.run("2026-03-01", "2026-03-31")
    first = s.ledger_content()
    summaries = s.run("2026-03-01", "2026-03-31")
    assert s.ledger_content() == first and sum(x.entries_posted for x in summaries) == 0
    assert len(first) > 10


def test_L1_dates_in_random_order_give_the_same_ledger(engine, pg_or_sqlite_second):
    ordered, shuffled = Scenario(engine), Scenario(pg_or_sqlite_second)
    _month(ordered)
    _month(shuffled)
    ordered.run("2026-03-01", "2026-03-31")
    days = [f"2026-03-{d:02d}" for d in range(1, 32)]
    random.Random(11).shuffle(days)
    for day in days:
        shuffled.run(day)
    assert shuffled.ledger_content() == ordered.ledger_content()


def test_L1_corrected_loss_amount_reverses_and_reposts(s):
    s.load([complaint("C1", bad_attitude=True, upheld=True, decided_at="2026-03-04T10:00:00+08:00")])
    s.run("2026-03-04")
    # correction: there was a loss of 300 after all -> severe (proposed, not posted): medium is reversed
    s.load([complaint("C1", bad_attitude=True, loss_amount="300.00", upheld=True, decided_at="2026-03-04T10:00:00+08:00")])
    summary = s.run("2026-03-04")[0]
    assert (summary.entries_reversed, summary.entries_posted) == (1, 0)
    p1 = [e for e in s.entries() if e["rule"] == "P1"]
    assert [(e["entry_type"], e["fine_amount"]) for e in p1] == [("charge", D("100.00")), ("reversal", D("-100.00"))]
    assert sum(e["fine_amount"] for e in p1) == 0


def test_L1_handler_fine_change_reverses_and_posts_the_correction(s):
    s.load([complaint("C1", bad_attitude=True, upheld=True, decided_at="2026-03-04T10:00:00+08:00")])
    s.run("2026-03-04")
    s.load([complaint("C1", bad_attitude=True, handler_fine="150.00", upheld=True, decided_at="2026-03-04T10:00:00+08:00")])
    s.run("2026-03-04")
    p1 = [(e["entry_type"], e["fine_amount"]) for e in s.entries() if e["rule"] == "P1"]
    assert p1 == [("charge", D("100.00")), ("reversal", D("-100.00")), ("charge", D("150.00"))]


def test_upheld_then_rejected_later_is_cancelled_by_that_days_run(s):
    s.load([complaint("C1", bad_attitude=True, upheld=True, decided_at="2026-03-04T10:00:00+08:00")])
    s.run("2026-03-04")
    s.load([event("d2", "C1", None, "2026-03-10T10:00:00+08:00", event_type="decision", outcome="rejected")])
    s.run("2026-03-10")
    p1 = [(str(e["business_date"]), e["entry_type"], e["fine_amount"], e["points"]) for e in s.entries() if e["rule"] == "P1"]
    assert p1 == [("2026-03-04", "charge", D("100.00"), -5), ("2026-03-10", "cancellation", D("-100.00"), 5)]
    s.run("2026-03-01", "2026-03-31")  # a full re-run agrees (and adds the O1 charges of the open E1)
    assert [(str(e["business_date"]), e["entry_type"], e["fine_amount"], e["points"])
            for e in s.entries() if e["rule"] == "P1"] == p1


def test_late_entered_completion_reverses_overdue_charges_on_rerun(s):
    s.load([internal("C1", "2026-03-03T10:00:00+08:00")])
    s.run("2026-03-02", "2026-03-09")
    assert s.o1("C1:I2") == D("200.00")
    s.load([event("i2", "C1", "I2", "2026-03-05T09:00:00+08:00")])  # it was done Thursday, entered late
    s.run("2026-03-02", "2026-03-09")
    assert s.o1("C1:I2") == D("50.00")
    assert sum(1 for e in s.entries() if e["entry_type"] == "reversal") == 3  # Thu, Fri, Mon


def test_policy_change_reverses_and_reposts_with_the_new_version(s, tmp_path):
    from complaint_ops.policy import load_policy

    s.load([internal("C1", "2026-03-03T10:00:00+08:00")])
    s.run("2026-03-04")
    text_ = open(load_policy().source, encoding="utf-8").read()
    draft = tmp_path / "draft.yaml"
    draft.write_text(text_.replace('overdue: {breach_fine: "50.00"', 'overdue: {breach_fine: "80.00"'), encoding="utf-8")
    s.run("2026-03-04", book=load_policy(draft))
    assert s.o1("C1:I2") == D("80.00")


def test_what_if_dry_run_reports_and_writes_nothing(s, tmp_path, capsys):
    from complaint_ops.policy import load_policy

    s.load([internal("C1", "2026-03-03T10:00:00+08:00")])
    s.run("2026-03-02", "2026-03-06")
    before = s.ledger_content()
    draft = tmp_path / "draft.yaml"
    draft.write_text(open(load_policy().source, encoding="utf-8").read().replace(
        'daily_fine: "50.00"', 'daily_fine: "20.00"'), encoding="utf-8")
    url = s.engine.url.render_as_string(hide_password=False)
    assert main(["--db", url, "run-days", "--from", "2026-03-02", "--to", "2026-03-06", "--policy", str(draft), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert s.ledger_content() == before
    # Thu and Fri accruals: 2 x 50 reversed, 2 x 20 posted -> net -60
    assert "SEC" in out and "-60.00" in out


# --- append-only and concurrency ------------------------------------------------------------------

@pytest.mark.parametrize("statement", ["UPDATE ledger SET fine_amount = 0", "DELETE FROM ledger"])
def test_L1_update_and_delete_on_the_ledger_fail(s, statement):
    s.load([internal("C1", "2026-03-03T10:00:00+08:00")])
    s.run("2026-03-04")
    with pytest.raises(DBAPIError, match="append-only"):
        with s.engine.begin() as conn:
            conn.execute(text(statement))


def test_two_dates_and_the_same_date_run_concurrently_post_no_duplicates(s):
    _month(s)
    errors = []

    def run(day):
        try:
            s.run(day)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(d,)) for d in ("2026-03-05", "2026-03-06", "2026-03-05", "2026-03-06")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    content = s.ledger_content()
    assert len({row[0] for row in content}) == len(content)
    s2 = s.ledger_content()
    s.run("2026-03-05", "2026-03-06")
    assert s.ledger_content() == s2  # a sequential re-run finds nothing to change


def test_cli_run_day_and_ledger_json_totals(s, capsys):
    import json

    s.load([internal("C1", "2026-03-03T10:00:00+08:00")])
    url = s.engine.url.render_as_string(hide_password=False)
    assert main(["--db", url, "run-days", "--from", "2026-03-04", "--to", "2026-03-05"]) == 0
    capsys.readouterr()
    assert main(["--db", url, "ledger", "--format", "json", "--person", "SEC"]) == 0
    data = json.loads(capsys.readouterr().out)
    # I2 due Wed: breach Wed + open Thu; I3 due Thu: breach Thu -> 3 x 50
    assert data["totals"] == {"entries": 3, "fine_amount": "150.00", "loss_recovery_amount": "0.00", "points": 0}


def test_company_override_moves_deadlines_after_the_orders_are_derived_again(s):
    # I2 filed Fri 2026-03-06 10:00 is due Mon 03-09 10:00; make Sat 03-07 a working day -> due Sat
    s.load([internal("C1", "2026-03-06T10:00:00+08:00")])
    s.run("2026-03-06")
    url = s.engine.url.render_as_string(hide_password=False)
    assert main(["--db", url, "calendar", "override", "2026-03-07", "--working", "--reason", "stocktaking"]) == 0
    s.run("2026-03-07")
    assert [str(e["business_date"]) for e in s.entries() if e["order_key"] == "C1:I2"] == ["2026-03-07"]

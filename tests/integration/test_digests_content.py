"""What the reports say (POLICY.md §8 D1-D4, A1), on SQLite and PostgreSQL: D1 sections and their
numbers, scoping, the general manager's approvals as of the day, the same content for a past date,
D2/D3/D4 statistics, collective alerts, and alerts queued at once by `mail.alerts_now`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from complaint_ops import approvals, digests, mail
from tests.factories import complaint, event
from tests.scenario import Scenario

UTC = dt.timezone.utc
D = Decimal
DAY = dt.date(2026, 3, 3)
T0 = dt.datetime(2026, 3, 3, 12, 0, tzinfo=UTC)


@pytest.fixture
def s(engine):
    return Scenario(engine)


def closed_external(cid, customer="K2"):
    """Received Fri 27 Feb, every stage in time, E4 done Mon 2 March 09:00: closed then (F1 assignment due
    3 March 09:00, first revisit due Thu 5 March 09:00)."""
    return [complaint(cid, received_at="2026-02-27T09:00:00+08:00", customer_id=customer, summary="发票寄错地址"),
            event(f"{cid}e1", cid, "E1", "2026-02-27T10:00:00+08:00"),
            event(f"{cid}e2", cid, "E2", "2026-02-27T11:00:00+08:00"),
            event(f"{cid}e3", cid, "E3", "2026-02-28T10:00:00+08:00"),
            event(f"{cid}e4", cid, "E4", "2026-03-02T09:00:00+08:00")]


def load_day(s):
    s.load([
        complaint("C3", received_at="2026-02-24T10:00:00+08:00", customer_id="K1"),
        event("c3e1", "C3", "E1", "2026-02-24T11:00:00+08:00"),
        complaint("C1", received_at="2026-03-03T10:00:00+08:00", summary="<b>账目</b>错误"),
        complaint("C2", received_at="2026-03-03T11:00:00+08:00", target_department_id="CS", customer_id="K2"),
        # severe (a loss): the general manager must approve its penalty (P9)
        complaint("C6", received_at="2026-02-26T10:00:00+08:00", customer_id="K3", loss_amount="800.00",
                  upheld=True, decided_at="2026-03-03T15:00:00+08:00"),
        *closed_external("C5"),
    ])
    s.run("2026-02-24", "2026-03-03")


def preview(s, kind, staff, day=DAY):
    with s.engine.connect() as conn:
        return digests.preview(conn, kind, staff, day)


def test_D1_sections_numbers_and_scope(s):
    load_day(s)
    [(period, fin, _)] = preview(s, "D1", "HEAD_FIN")
    assert period == "2026-03-03" and fin["departments"][0]["id"] == "FIN"
    assert [c["id"] for c in fin["new_complaints"]] == ["C1"]
    overdue = {o["order_key"]: o for o in fin["overdue"]}
    # E2 due 25 Feb 11:00, still open: 25, 26, 27, 28 (make-up Saturday), 2 and 3 March
    assert (overdue["C3:E2"]["days"], overdue["C3:E2"]["fine_today"], overdue["C3:E2"]["fine_total"]) == (6, D("50.00"), D("300.00"))
    assert overdue["C3:E2"]["owner"] == "孙主管" and overdue["C3:E2"]["open"]
    assert overdue["C5:F1:assignment"]["owner"] == "吴会计" and overdue["C5:F1:assignment"]["days"] == 1  # F1, ACC1 (FIN)
    assert {(p["rule"], p["complaint_id"], p["fine"]) for p in fin["penalties"]} >= {("O1", "C3", D("50.00"))}
    # the first revisit (F2) of C5, due Thu 5 March: medium (the 3rd FIN service complaint, R2) -> department head
    assert [(o["order_key"], o["owner"], o["wd_left"]) for o in fin["due_soon"]] == [("C5:revisit:1", "孙主管", 2)]
    assert fin["approvals"] is None
    [(_, cs, _)] = preview(s, "D1", "HEAD_CS")
    assert [c["id"] for c in cs["new_complaints"]] == ["C2"] and cs["due_soon"] == []
    assert [o["order_key"] for o in cs["overdue"]] == ["C6:E1"]  # customer service never investigated C6
    [(_, gm, _)] = preview(s, "D1", "GM")
    assert [c["id"] for c in gm["new_complaints"]] == ["C1", "C2"]
    waiting = gm["approvals"]
    assert waiting and {a["complaint_id"] for a in waiting} == {"C6"} and all(a["waiting_wd"] == 0 for a in waiting)
    assert gm["kpi"]["approvals"] == len(waiting)


def test_D1_for_a_past_date_says_the_same_later(s):
    load_day(s)
    [(_, _, before)] = preview(s, "D1", "GM")
    [(_, _, fin_before)] = preview(s, "D1", "HEAD_FIN")
    # later: E2 done, the revisit done, the general manager approves, more dates run
    s.load([event("c3e2", "C3", "E2", "2026-03-04T09:00:00+08:00"),
            event("c5r1", "C5", None, "2026-03-04T10:00:00+08:00", event_type="revisit_done", order_key="C5:revisit:1",
                  method="phone", outcome="satisfied")])
    with s.engine.connect() as conn:
        key = approvals.listing(conn)[0]["id"]
    approvals.decide(s.engine, key, "approved", by="GM", at=dt.datetime(2026, 3, 5, 2, tzinfo=UTC))
    s.run("2026-03-04", "2026-03-06")
    [(_, view, after)] = preview(s, "D1", "GM")
    assert (after.subject, after.text, after.html) == (before.subject, before.text, before.html)
    assert preview(s, "D1", "HEAD_FIN")[0][2].text == fin_before.text
    # on the day of the approval it is no longer waiting
    assert all(a["id"] != key for a in preview(s, "D1", "GM", dt.date(2026, 3, 5))[0][1]["approvals"])


def test_D1_goes_to_managers_with_news_and_always_to_the_general_manager(s):
    s.run("2026-03-03")
    with s.engine.begin() as conn:
        counts = digests.queue_for_day(conn, DAY, now=T0)
        rows = mail.listing(conn)
    assert counts["D1"] == 1 and [r["recipient_id"] for r in rows] == ["GM"]
    assert "新投诉0件，逾期0单" in rows[0]["subject"]
    with s.engine.begin() as conn:  # a Saturday: no digest at all
        assert digests.queue_for_day(conn, dt.date(2026, 3, 7), now=T0)["D1"] == 0


def feb(s):
    s.load([
        complaint("C7", received_at="2026-02-10T10:00:00+08:00", upheld=True, decided_at="2026-02-12T10:00:00+08:00",
                  problem_code="P-7"),
        event("c7e1", "C7", "E1", "2026-02-10T11:00:00+08:00"),
        complaint("C8", kind="internal", category="contract", channel="written", filer_id="HEAD_FIN", handler_id="SEC",
                  customer_id=None, target_department_id="CS", received_at="2026-02-11T10:00:00+08:00"),
        complaint("C9", received_at="2026-02-12T10:00:00+08:00", customer_id="K2", problem_code="P-7"),
        # closed 2 Feb: its first revisit (5 Feb) found the customer unhappy -> F4 revisit due 9 Feb
        complaint("C10", received_at="2026-01-29T09:00:00+08:00", customer_id="K3"),
        event("c10e1", "C10", "E1", "2026-01-29T10:00:00+08:00"), event("c10e2", "C10", "E2", "2026-01-29T11:00:00+08:00"),
        event("c10e3", "C10", "E3", "2026-01-30T10:00:00+08:00"), event("c10e4", "C10", "E4", "2026-02-02T09:00:00+08:00"),
        event("c10r1", "C10", None, "2026-02-05T08:30:00+08:00", event_type="revisit_done", order_key="C10:revisit:1",
              method="phone", outcome="unsatisfied", actor_id="CSA"),
    ])
    s.run("2026-01-29", "2026-03-02")


def test_D2_monthly_statistics(s):
    feb(s)
    [(period, v, r)] = preview(s, "D2", "GM", dt.date(2026, 3, 2))
    assert period == "2026-02" and (v["first"], v["last"]) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    t = v["totals"]
    assert (t["received"], t["external"], t["internal"], t["upheld"], t["undecided"]) == (3, 2, 1, 1, 2)
    assert {x["key"]: x["count"] for x in v["by_category"]} == {"service": 2, "contract": 1}
    assert {x["key"]: x["count"] for x in v["by_severity"]} == {"light": 1, "undecided": 2}
    assert {x["key"]: x["count"] for x in v["by_channel"]} == {"phone": 2, "written": 1}
    e1 = next(x for x in v["stages"] if x["rule"] == "E1")
    assert (e1["due"], e1["on_time"], e1["open"]) == (2, 1, 1)  # C7 in time, C9 never done; C10's was due in January
    assert v["top_problems"][0]["problem_code"] == "P-7" and v["top_problems"][0]["count"] == 2
    feb_fines = sum((e["fine_amount"] for e in s.entries(date_from=dt.date(2026, 2, 1), date_to=dt.date(2026, 2, 28))
                     if e["kind"] != "loss_recovery"), D("0.00"))
    assert v["fines"]["fine"] == feb_fines > 0
    assert set(r.images[0].cid.split("@")[0].split(".")) >= {"chart-daily"} and len(r.images) == 2
    [(_, fin, _)] = preview(s, "D2", "HEAD_FIN", dt.date(2026, 3, 2))
    assert fin["totals"]["received"] == 2 and {x["key"] for x in fin["by_category"]} == {"service"}


def test_D3_revisit_record(s):
    feb(s)
    [(period, v, r)] = preview(s, "D3", "GM", dt.date(2026, 3, 2))
    assert period == "2026-02"
    records = {x["order_key"]: x for x in v["records"]}
    assert records["C10:revisit:1"]["outcome"] == "unsatisfied" and records["C10:revisit:1"]["method"] == "phone"
    assert records["C10:revisit:1"]["status"] == "on_time"
    assert records["C10:F4:1.1"]["status"] == "open"  # the further revisit nobody did
    summary = v["summary"]
    assert (summary["unsatisfied"], summary["follow_ups"], summary["phone"]) == (1, 1, 1)
    assert [x["order_key"] for x in v["unhappy"]] == ["C10:revisit:1"]
    assert "*" in r.text and "13700002222" not in r.text + r.html  # K3's phone masked


def test_D4_half_year_on_the_first_working_day_of_june(s):
    feb(s)
    with s.engine.begin() as conn:
        counts = digests.queue_for_day(conn, dt.date(2026, 6, 1), now=T0, kinds=["D4"])
        rows = mail.listing(conn, kind="D4")
    assert counts["D4"] == 4 and {r["period"] for r in rows} == {"2025-12..2026-05"}
    [(_, v, r)] = preview(s, "D4", "GM", dt.date(2026, 6, 1))
    assert v["totals"]["received"] == 4 and [m["month"] for m in v["trend"]] == [
        "2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]
    assert [m["received"] for m in v["trend"]] == [0, 1, 3, 0, 0, 0]
    assert "半年投诉工作总结" in r.subject and len(r.images) == 2


def test_collective_alert_lists_the_burst_with_masked_phones(s):
    s.load([complaint(f"K{i}X", customer_id=f"K{i}", problem_code="P-X", summary="发票重复开具",
                      received_at=f"2026-03-0{i + 1}T10:00:00+08:00") for i in (1, 2)]
           + [complaint("K3X", customer_id="K3", problem_code="P-X", summary="发票重复开具",
                        received_at="2026-03-03T11:00:00+08:00")])
    s.run("2026-03-02", "2026-03-03")
    alerts = preview(s, "A1", "HEAD_FIN")
    collective = [v for _p, v, _r in alerts if v["alert_kind"] == "collective"]
    assert len(collective) == 1 and collective[0]["customers"] == 3
    assert [m["id"] for m in collective[0]["members"]] == ["K1X", "K2X", "K3X"]
    assert [m["customer"]["phone"] for m in collective[0]["members"]] == ["138****5678", "139****1111", "137****2222"]
    rendered = next(r for _p, v, r in alerts if v["alert_kind"] == "collective")
    assert rendered.subject.startswith("[COLLECTIVE complaint]") and "3 customers" in rendered.subject


def test_alerts_now_queues_a_major_complaint_at_once_and_the_day_run_adds_nothing(s):
    s.run("2026-03-02")
    s.load([complaint("M1", received_at="2026-03-03T09:00:00+08:00", major=True, summary="电梯困人")])
    morning = dt.datetime(2026, 3, 3, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, before the day's run
    counts = mail.alerts_now(s.engine, now=morning)
    assert counts["A1"] == 3  # HEAD_FIN, GM, CM
    assert mail.alerts_now(s.engine, now=morning + dt.timedelta(minutes=5))["A1"] == 0
    s.run("2026-03-03")
    with s.engine.begin() as conn:
        later = digests.queue_for_day(conn, DAY, now=T0)
    assert later["A1"] == 0 and later["already_queued"] >= 3
    with s.engine.connect() as conn:
        assert len(mail.listing(conn, kind="A1")) == 3


def test_queue_reports_queues_only_the_reports_of_their_day(s):
    with s.engine.begin() as conn:
        assert digests.queue_reports(conn, dt.date(2026, 3, 3), now=T0)["D2"] == 0
        counts = digests.queue_reports(conn, dt.date(2026, 3, 2), now=T0)
        assert (counts["D1"], counts["D2"], counts["D3"], counts["A1"]) == (0, 4, 2, 0)
        again = digests.queue_for_day(conn, dt.date(2026, 3, 2), now=T0)  # the daily run finds them queued
        assert (again["D2"], again["D3"], again["already_queued"]) == (0, 0, 6)


def test_weekend_alerts_are_mailed_by_the_monday_run_when_nobody_did_before(s):
    s.load([complaint("W1", received_at="2026-03-07T10:00:00+08:00", major=True, summary="周六停电")])  # Saturday
    s.run("2026-03-06", "2026-03-09")  # Monday's run raises it (the period is Friday..Monday)
    with s.engine.begin() as conn:
        assert digests.queue_alerts(conn, dt.date(2026, 3, 9), now=T0)["A1"] == 3
        assert digests.queue_alerts(conn, dt.date(2026, 3, 9), now=T0)["A1"] == 0
        rows = mail.listing(conn, kind="A1")
    assert {r["period"] for r in rows} == {"major:W1"} and {r["business_date"] for r in rows} == {dt.date(2026, 3, 9)}

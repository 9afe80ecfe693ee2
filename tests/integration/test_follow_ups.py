"""POLICY.md §5-§7 on SQLite and PostgreSQL: follow-up orders, generated complaints, duplicates, alerts."""

import datetime as dt
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from complaint_ops.cli import main
from tests.factories import complaint, event
from tests.scenario import Scenario

TZ = ZoneInfo("Asia/Shanghai")
D = Decimal


@pytest.fixture
def s(engine):
    return Scenario(engine)


def closed_external(cid="C1", received="2026-03-02T09:00:00+08:00", closed="2026-03-02T10:00:00+08:00", **kw):
    """An external complaint whose four stages are all done by `closed` (E4 = closing)."""
    t = dt.datetime.fromisoformat(closed)
    stamps = [(t - dt.timedelta(minutes=m)).isoformat() for m in (30, 20, 10, 0)]
    return [complaint(cid, received_at=received, **kw)] + [
        event(f"{cid}e{i}", cid, f"E{i}", stamps[i - 1]) for i in range(1, 5)]


def orders(s, cid="C1"):
    with s.engine.connect() as conn:
        rows = conn.execute(text("SELECT order_key, kind, rule, owner_id, due_at, started_at FROM orders "
                                 "WHERE complaint_id = :c AND kind <> 'stage' ORDER BY order_key"), {"c": cid}).mappings().all()
    from complaint_ops.db import as_utc

    return {r["order_key"]: (r["rule"], r["owner_id"], as_utc(r["due_at"]).astimezone(TZ).replace(tzinfo=None)) for r in rows}


def local(text_):
    return dt.datetime.fromisoformat(text_)


def test_F1_F2_assignment_and_three_revisits_with_due_dates_and_owners(s):
    s.load(closed_external())  # closed Mon 2026-03-02 10:00, light (ordinary)
    s.run("2026-03-02")
    assert orders(s) == {
        "C1:F1:assignment": ("F1", "ACC1", local("2026-03-03T10:00")),  # 1 WD, account manager
        "C1:revisit:1": ("F2", "CSA", local("2026-03-05T10:00")),       # 3 days; ordinary -> CS assistant
        "C1:revisit:2": ("F1", "ACC1", local("2026-05-06T10:00")),      # 2 months: 05-02 is Labor Day -> Wed 05-06
        "C1:revisit:3": ("F1", "ACC1", local("2026-06-02T10:00")),      # 3 months
    }


@pytest.mark.parametrize(("facts", "owner"), [({"bad_attitude": True}, "HEAD_FIN"), ({"loss_amount": "300.00"}, "CM"),
                                              ({"major": True}, "CM")])
def test_F2_first_revisit_owner_by_weight(s, facts, owner):
    s.load(closed_external(**facts))
    s.run("2026-03-02")
    assert orders(s)["C1:revisit:1"][1] == owner


def test_F3_anonymous_and_reply_letter_only_get_a_reply_letter_instead_of_revisits(s):
    s.load(closed_external("C1", anonymous=True) + closed_external("C2", reply_letter_only=True))
    s.run("2026-03-02")
    for cid in ("C1", "C2"):
        assert set(orders(s, cid)) == {f"{cid}:F1:assignment", f"{cid}:F3:reply_letter"}


def test_F4_each_unhappy_revisit_schedules_another_until_satisfied(s):
    s.load(closed_external() + [
        event("v1", "C1", None, "2026-03-05T09:00:00+08:00", event_type="revisit_done", order_key="C1:revisit:1",
              method="phone", outcome="unsatisfied"),
        event("v2", "C1", None, "2026-03-09T11:00:00+08:00", event_type="revisit_done", order_key="C1:F4:1.1",
              method="on_site", signature=True, outcome="unsatisfied"),
        event("v3", "C1", None, "2026-03-12T11:00:00+08:00", event_type="revisit_done", order_key="C1:F4:1.2",
              method="phone", outcome="satisfied"),
    ])
    s.run("2026-03-12")
    got = orders(s)
    assert got["C1:F4:1.1"] == ("F4", "CSA", local("2026-03-09T09:00"))  # Sun 03-08 -> Mon 03-09
    assert got["C1:F4:1.2"] == ("F4", "CSA", local("2026-03-12T11:00"))
    assert "C1:F4:1.3" not in got
    # a later unhappy revisit 2 starts its own chain: nothing above is renumbered
    s.load([event("v4", "C1", None, "2026-05-06T10:00:00+08:00", event_type="revisit_done", order_key="C1:revisit:2",
                  method="phone", outcome="unsatisfied"),
            event("v5", "C1", None, "2026-05-06T10:00:00+08:00", event_type="revisit_done", order_key="C1:revisit:3",
                  method="phone", outcome="unsatisfied")])  # two at the same instant
    s.run("2026-05-06")
    got = orders(s)
    assert {k for k in got if ":F4:" in k} == {"C1:F4:1.1", "C1:F4:1.2", "C1:F4:2.1", "C1:F4:3.1"}
    assert got["C1:F4:2.1"][1] == "ACC1"


def test_S1_second_round_investigation_30_days_after_an_upheld_complaint_closes(s):
    s.load(closed_external(upheld=True, decided_at="2026-03-02T09:50:00+08:00") + closed_external("C2"))
    s.run("2026-03-02")
    # opens Wed 04-01 10:00; 5 WD: Thu 2, Fri 3, (Mon 6 Qingming off), Tue 7, Wed 8, Thu 9; owner the handler
    assert orders(s)["C1:S1"] == ("S1", "CS1", local("2026-04-09T10:00"))
    assert "C2:S1" not in orders(s, "C2")  # not upheld: no second round


def test_S2_unhappy_result_raises_a_second_round_complaint_with_doubled_penalties_P7(s):
    s.load(closed_external(upheld=True, decided_at="2026-03-02T09:50:00+08:00") + [
        event("r1", "C1", None, "2026-04-03T15:00:00+08:00", event_type="second_round_result", order_key="C1:S1",
              outcome="not_improved")])
    s.run("2026-03-02")
    s.run("2026-04-03")
    with s.engine.connect() as conn:
        row = conn.execute(text("SELECT second_round_of, origin, target_department_id, upheld FROM complaints "
                                "WHERE id = 'C1-S2'")).one()
    assert tuple(row[:3]) == ("C1", "S2", "FIN") and row[3]
    p1 = [(e["complaint_id"], e["fine_amount"], e["points"]) for e in s.entries() if e["rule"] == "P1"]
    assert ("C1-S2", D("100.00"), -4) in p1  # external light 50/-2, doubled
    assert ("C1", D("50.00"), -2) in p1


def test_F5_E4_missed_raises_a_complaint_against_the_customer_service_handler(s):
    # E3 done Mon 03-02 10:00 -> E4 due Tue 03-03 10:00, never done
    s.load([complaint("C1", received_at="2026-03-02T09:00:00+08:00")] + [
        event(f"e{i}", "C1", f"E{i}", f"2026-03-02T{9 + i // 3:02d}:{(i * 15) % 60:02d}:00+08:00") for i in (1, 2, 3)])
    s.run("2026-03-02", "2026-03-04")
    with s.engine.connect() as conn:
        row = conn.execute(text("SELECT kind, target_staff_id, target_department_id, origin, origin_key, received_at "
                                "FROM complaints WHERE id = 'C1-F5'")).one()
    assert tuple(row[:5]) == ("external", "CS1", "CS", "F5", "C1:E4")
    p1 = [(str(e["business_date"]), e["party"], e["fine_amount"]) for e in s.entries() if e["complaint_id"] == "C1-F5" and e["rule"] == "P1"]
    assert p1 == [("2026-03-03", "CS1", D("50.00"))]


def test_F5_also_for_an_E4_done_late(s):
    s.load([complaint("C1", received_at="2026-03-02T09:00:00+08:00")] + [
        event(f"e{i}", "C1", f"E{i}", f"2026-03-02T{9 + i // 3:02d}:{(i * 15) % 60:02d}:00+08:00") for i in (1, 2, 3)] + [
        event("e4", "C1", "E4", "2026-03-03T16:00:00+08:00")])
    s.run("2026-03-03")
    with s.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM complaints WHERE id = 'C1-F5'")).scalar() == 1


def test_follow_up_orders_accrue_O1_like_stages(s):
    s.load(closed_external())  # assignment due Tue 03-03 10:00, never done
    s.run("2026-03-02", "2026-03-05")
    assert s.o1("C1:F1:assignment") == D("150.00")  # Tue breach, Wed, Thu open
    assert {e["party"] for e in s.entries() if e["order_key"] == "C1:F1:assignment"} == {"ACC1"}


def test_reruns_and_shuffled_backfills_never_duplicate_follow_ups(s):
    records = []
    for i in range(6):
        records += closed_external(f"C{i}", received=f"2026-03-0{2 + i % 3}T09:00:00+08:00",
                                   closed=f"2026-03-0{2 + i % 3}T10:00:00+08:00",
                                   upheld=i % 2 == 0, decided_at=f"2026-03-0{2 + i % 3}T09:50:00+08:00")
    records.append(event("r1", "C0", None, "2026-04-03T15:00:00+08:00", event_type="second_round_result",
                         order_key="C0:S1", outcome="still_unhappy"))
    s.load(records)
    days = [dt.date(2026, 3, 1) + dt.timedelta(days=i) for i in range(45)]
    random.Random(2).shuffle(days)
    for day in days:
        s.run(day.isoformat())
    first = (s.ledger_content(), _all_orders(s))
    s.run("2026-03-01", "2026-04-14")
    assert (s.ledger_content(), _all_orders(s)) == first
    with s.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM complaints WHERE origin = 'S2'")).scalar() == 1


def _all_orders(s):
    with s.engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(text("SELECT order_key, source_hash FROM orders")).all())


def test_R1_same_customer_same_problem_with_another_department_carries_no_penalty(s):
    s.load([complaint("C1", problem_code="billing-1", upheld=True, decided_at="2026-03-03T10:00:00+08:00"),
            complaint("C2", problem_code="billing-1", target_department_id="CS", received_at="2026-03-02T11:00:00+08:00",
                      upheld=True, decided_at="2026-03-03T10:00:00+08:00")])
    s.run("2026-03-03")
    assert {e["complaint_id"] for e in s.entries() if e["rule"] == "P1"} == {"C1"}


def test_R3_collective_and_A1_major_complaints_raise_one_alert_each(s):
    s.load([complaint(f"C{i}", customer_id=f"K{i}", problem_code="lift-stuck",
                      received_at=f"2026-03-0{i + 1}T10:00:00+08:00") for i in (1, 2, 3)]
           + [complaint("C9", major=True, received_at="2026-03-04T12:00:00+08:00")])
    s.run("2026-03-02", "2026-03-06")
    s.run("2026-03-02", "2026-03-06")
    with s.engine.connect() as conn:
        alerts = conn.execute(text("SELECT kind, complaint_id FROM alerts ORDER BY kind")).all()
    assert [tuple(a) for a in alerts] == [("collective", "C3"), ("major", "C9")]


def test_orders_listing_cli(s, capsys):
    import json

    s.load(closed_external())
    s.run("2026-03-02", "2026-03-04")
    url = s.engine.url.render_as_string(hide_password=False)
    assert main(["--db", url, "orders", "--owner", "ACC1", "--status", "overdue", "--as-of", "2026-03-04",
                 "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["order_key"] for r in rows] == ["C1:F1:assignment"]


def test_orders_listing_filters_on_the_owner_as_charged_even_through_the_secretary_fallback(s, capsys):
    import json

    # an internal complaint that names no handler: its I2/I3 belong to the GM secretary, and are listed for her
    s.load([complaint("C7", kind="internal", filer_id="HEAD_CS", customer_id=None,
                      received_at="2026-03-03T10:00:00+08:00")])
    s.run("2026-03-04")
    assert {e["party"] for e in s.entries() if e["order_key"] == "C7:I2"} == {"SEC"}
    url = s.engine.url.render_as_string(hide_password=False)
    assert main(["--db", url, "orders", "--owner", "SEC", "--as-of", "2026-03-04", "--format", "json"]) == 0
    assert {r["order_key"] for r in json.loads(capsys.readouterr().out)} == {"C7:I2", "C7:I3"}

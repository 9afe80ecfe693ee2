"""POLICY.md §3 stage deadlines on the real calendar (Spring Festival and National Day 2026, weekends)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from complaint_ops.business_calendar import WorkCalendar, build_days
from complaint_ops.deadlines import OPEN_DATE, StageFacts, stage_orders
from complaint_ops.policy import load_policy

TZ = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar.from_days(build_days(dt.date(2025, 1, 1), dt.date(2026, 12, 31)))
BOOK = load_policy()


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)


def orders(kind="internal", received="2026-03-02 10:00", forwarded=None, **done):
    facts = StageFacts("C1", kind, at(received), forwarded and at(forwarded), {k: at(v) for k, v in done.items()})
    return {o.rule: o for o in stage_orders(facts, CAL, BOOK, TZ)}


def local(o_due):
    return o_due.astimezone(TZ).replace(tzinfo=None)


def test_I2_one_and_I3_two_working_days_after_filing():
    o = orders(received="2026-03-02 10:00")  # Monday
    assert local(o["I2"].due_at) == dt.datetime(2026, 3, 3, 10, 0)
    assert local(o["I3"].due_at) == dt.datetime(2026, 3, 4, 10, 0)
    assert "I1" not in o  # not forwarded yet: I1 has not started


def test_I1_runs_from_the_forwarding():
    o = orders(forwarded="2026-03-02 16:30")
    assert (o["I1"].owner_role, local(o["I1"].due_at)) == ("department_head", dt.datetime(2026, 3, 3, 16, 30))


def test_filing_on_a_friday_is_due_monday():
    assert local(orders(received="2026-03-06 15:00")["I2"].due_at) == dt.datetime(2026, 3, 9, 15, 0)


def test_filing_on_a_weekend_counts_from_monday_midnight():
    # Saturday 2026-03-07 15:00 counts as Mon 00:00; 1 WD after -> Tue 00:00
    assert local(orders(received="2026-03-07 15:00")["I2"].due_at) == dt.datetime(2026, 3, 10, 0, 0)


def test_spring_festival_2026():
    # Fri 2026-02-13 10:00 + 1 WD = Sat 2026-02-14 (make-up working day)
    assert local(orders(received="2026-02-13 10:00")["I2"].due_at) == dt.datetime(2026, 2, 14, 10, 0)
    # Sat 2026-02-14 10:00 (working) + 1 WD: 15th-23rd are off -> Tue 2026-02-24
    assert local(orders(received="2026-02-14 10:00")["I2"].due_at) == dt.datetime(2026, 2, 24, 10, 0)
    # filed during the holiday: counts as 00:00 of the next working day (24th) -> 25th 00:00
    assert local(orders(received="2026-02-18 09:00")["I2"].due_at) == dt.datetime(2026, 2, 25, 0, 0)
    # I3 (2 WD) from Fri 27 Feb: Sat 28 Feb is a make-up working day -> Mon 2 Mar
    assert local(orders(received="2026-02-27 11:00")["I3"].due_at) == dt.datetime(2026, 3, 2, 11, 0)


def test_national_day_2026():
    # Wed 2026-09-30 14:00 + 1 WD: Oct 1-7 off -> Thu 2026-10-08
    assert local(orders(received="2026-09-30 14:00")["I2"].due_at) == dt.datetime(2026, 10, 8, 14, 0)
    # Sun 2026-09-20 is a make-up working day: filed Sat 19th -> counts from Sun 20th 00:00 -> due Mon 21st 00:00
    assert local(orders(received="2026-09-19 12:00")["I2"].due_at) == dt.datetime(2026, 9, 21, 0, 0)


def test_external_chain_each_stage_starts_when_the_previous_is_done():
    o = orders(kind="external", received="2026-03-02 10:00", E1="2026-03-03 09:00", E2="2026-03-05 17:00")
    assert set(o) == {"E1", "E2", "E3"}
    assert (o["E2"].owner_role, local(o["E2"].due_at)) == ("department_head", dt.datetime(2026, 3, 4, 9, 0))
    assert local(o["E3"].due_at) == dt.datetime(2026, 3, 6, 17, 0)
    assert o["E3"].stop_date == OPEN_DATE and o["E3"].stop_at is None


def test_closing_stops_every_open_order_O1():
    o = orders(received="2026-03-02 10:00", forwarded="2026-03-02 11:00", I3="2026-03-03 09:00")
    assert o["I1"].done_at is None and local(o["I1"].stop_at) == dt.datetime(2026, 3, 3, 9, 0)
    assert o["I2"].stop_date == dt.date(2026, 3, 3)


def test_deadline_past_the_filled_calendar_is_an_error():
    from complaint_ops.errors import CalendarRangeError

    with pytest.raises(CalendarRangeError):
        orders(received="2026-12-31 10:00")


def test_source_hash_covers_every_field_of_an_order():
    """The hash is spelled out field by field (hot path): it must still change with each field."""
    import dataclasses
    import hashlib

    from complaint_ops.deadlines import _ORDER_FIELDS, OPEN_DATE, Order

    at = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.timezone.utc)
    order = Order("C1:E1", "C1", "stage", "E1", 0, None, "handler", at, at, at.date(), None, None, OPEN_DATE, "v1")
    expected = hashlib.sha256("|".join(str(getattr(order, f)) for f in _ORDER_FIELDS).encode()).hexdigest()
    assert order.source_hash == expected  # the same hashes as stored by earlier versions
    assert len(_ORDER_FIELDS) == 14
    changed = {"order_key": "C1:E2", "complaint_id": "C2", "kind": "revisit", "rule": "E2", "sequence": 1,
               "owner_id": "S1", "owner_role": "x", "started_at": at + dt.timedelta(seconds=1),
               "due_at": at + dt.timedelta(seconds=1), "due_date": at.date() + dt.timedelta(days=1), "done_at": at,
               "stop_at": at, "stop_date": at.date(), "policy_version": "v2"}
    assert set(changed) == set(_ORDER_FIELDS)
    for name, value in changed.items():
        assert dataclasses.replace(order, **{name: value}).source_hash != order.source_hash, name

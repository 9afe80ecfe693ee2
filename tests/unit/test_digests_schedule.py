"""When each report is due (POLICY.md §8 D1-D4) on the real CN calendar, and who receives what."""

import datetime as dt
from dataclasses import replace

import pytest

from complaint_ops import business_calendar, digests
from complaint_ops.policy import load_policy

D = dt.date


@pytest.fixture(scope="module")
def cal():
    return business_calendar.WorkCalendar.from_days(business_calendar.build_days(D(2025, 1, 1), D(2026, 12, 31)))


@pytest.fixture(scope="module")
def reports():
    return load_policy().in_force(D(2026, 1, 1)).reports


def kinds(cal, day, reports):
    return [(s.kind, s.period) for s in digests.schedule(cal, day, reports)]


def test_D1_on_every_working_day_including_make_up_saturdays(cal, reports):
    assert kinds(cal, D(2026, 3, 3), reports) == [("D1", "2026-03-03")]
    assert kinds(cal, D(2026, 3, 7), reports) == []  # Saturday
    assert kinds(cal, D(2026, 2, 14), reports) == [("D1", "2026-02-14")]  # 调休 make-up working Saturday
    assert kinds(cal, D(2026, 2, 17), reports) == []  # Spring Festival


def test_D2_D3_on_the_first_working_day_for_the_previous_month(cal, reports):
    assert kinds(cal, D(2026, 3, 2), reports) == [("D1", "2026-03-02"), ("D2", "2026-02"), ("D3", "2026-02")]
    # 2026-01-01..03 New Year holiday; Sunday 4 January is a make-up working day: the first working day
    assert kinds(cal, D(2026, 1, 4), reports) == [("D1", "2026-01-04"), ("D2", "2025-12"), ("D3", "2025-12")]
    assert ("D2", "2025-12") not in kinds(cal, D(2026, 1, 5), reports)
    # after the National Day holiday
    assert ("D2", "2026-09") in kinds(cal, D(2026, 10, 8), reports)
    assert all(k == "D1" for k, _ in kinds(cal, D(2026, 10, 9), reports))


def test_D4_on_the_first_working_day_of_june_and_december(cal, reports):
    assert ("D4", "2025-12..2026-05") in kinds(cal, D(2026, 6, 1), reports)
    assert ("D4", "2026-06..2026-11") in kinds(cal, D(2026, 12, 1), reports)
    assert ("D4", "2024-12..2025-05") in kinds(cal, D(2025, 6, 3), reports)  # 2 June 2025: Dragon Boat Festival
    assert not [k for k, _ in kinds(cal, D(2026, 6, 2), reports) if k == "D4"]
    assert not [k for k, _ in kinds(cal, D(2026, 7, 1), reports) if k == "D4"]


def test_D4_only_within_the_window(cal, reports):
    narrow = replace(reports, half_year_months=(6,), half_year_within_days=2)
    assert [k for k, _ in kinds(cal, D(2025, 6, 3), narrow) if k == "D4"] == []  # first working day is the 3rd


def test_monthly_on_the_first_calendar_day_when_the_policy_says_so(cal, reports):
    calendar_day = replace(reports, monthly_on_first_working_day=False)
    assert kinds(cal, D(2026, 3, 1), calendar_day) == [("D2", "2026-02"), ("D3", "2026-02")]  # a Sunday
    assert kinds(cal, D(2026, 3, 2), calendar_day) == [("D1", "2026-03-02")]


def test_periods():
    assert digests.previous_month(D(2026, 1, 4)) == (D(2025, 12, 1), D(2025, 12, 31))
    assert digests.previous_month(D(2026, 3, 2)) == (D(2026, 2, 1), D(2026, 2, 28))
    assert digests.previous_half_year(D(2026, 6, 1)) == (D(2025, 12, 1), D(2026, 5, 31))
    assert digests.previous_half_year(D(2026, 12, 1)) == (D(2026, 6, 1), D(2026, 11, 30))
    assert digests.period_of("D4", D(2026, 12, 1)).period == "2026-06..2026-11"


def test_horizon_counts_working_days(cal):
    assert digests.horizon(cal, D(2026, 3, 3), 3) == D(2026, 3, 6)
    assert digests.horizon(cal, D(2026, 2, 12), 3) == D(2026, 2, 24)  # 14 Feb works, then the Spring Festival
    assert cal.previous_working_day(D(2026, 3, 2)) == D(2026, 2, 28)  # a make-up Saturday
    assert cal.previous_working_day(D(2026, 3, 9)) == D(2026, 3, 6)


def _org():
    from tests.unit.test_mail_render import org

    return org()


def test_recipients_and_scope():
    o = _org()
    d1 = {s["id"]: scope for s, scope in digests.recipients(o, "D1")}
    assert set(d1) == {"GM", "HEAD_CS", "HEAD_FIN"}  # managers and the general manager (who manages GMO too)
    assert d1["GM"].whole and d1["HEAD_FIN"].departments == {"FIN"}
    assert {s["id"] for s, _ in digests.recipients(o, "D2")} == {"GM", "CM", "HEAD_CS", "HEAD_FIN"}
    assert {s["id"] for s, _ in digests.recipients(o, "D3")} == {"GM", "CM"}  # the leadership
    assert {s["id"] for s, _ in digests.recipients(o, "A1", "FIN")} == {"GM", "CM", "HEAD_FIN"}
    o.staff["HEAD_FIN"]["active"] = False
    assert {s["id"] for s, _ in digests.recipients(o, "A1", "FIN")} == {"GM", "CM"}

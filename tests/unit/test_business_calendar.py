"""The pure business calendar: POLICY §1 "working day" and "N WD after t" (no database)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from complaint_ops import business_calendar as bc
from complaint_ops.errors import CalendarRangeError

SH = ZoneInfo("Asia/Shanghai")
UTC = dt.timezone.utc
D = dt.date


def at(y, m, d, hh=0, mm=0, tz=SH):
    return dt.datetime(y, m, d, hh, mm, tzinfo=tz)


@pytest.fixture(scope="module")
def days():
    return bc.build_days(D(2019, 1, 1), D(2026, 12, 31))


@pytest.fixture(scope="module")
def by_day(days):
    return {d.day: d for d in days}


@pytest.fixture(scope="module")
def cal(days):
    return bc.WorkCalendar.from_days(days)


def span(a, b):
    return [a + dt.timedelta(days=i) for i in range((b - a).days + 1)]


# --- build_days: the 2026 CN schedule ------------------------------------------------------------


def test_spring_festival_2026_is_off_with_two_saturday_makeup_days(by_day):
    for day in span(D(2026, 2, 15), D(2026, 2, 23)):
        assert not by_day[day].working, day
    for day in (D(2026, 2, 14), D(2026, 2, 28)):
        assert by_day[day].working and by_day[day].source == "makeup"
    assert by_day[D(2026, 2, 17)].holiday_name == "春节"
    assert by_day[D(2026, 2, 16)].source == "holiday"
    assert by_day[D(2026, 2, 15)].source == "weekend"  # a plain Sunday inside the break
    assert by_day[D(2026, 2, 24)].working and by_day[D(2026, 2, 13)].working


def test_national_day_2026_is_off_with_sunday_and_saturday_makeup(by_day):
    for day in span(D(2026, 10, 1), D(2026, 10, 7)):
        assert not by_day[day].working, day
    assert by_day[D(2026, 10, 1)].holiday_name == "国庆节"
    for day in (D(2026, 9, 20), D(2026, 10, 10)):
        assert by_day[day].working and by_day[day].source == "makeup"
    assert by_day[D(2026, 10, 8)].working and by_day[D(2026, 9, 30)].working


def test_new_year_2026_has_a_sunday_makeup_day(by_day):
    assert not by_day[D(2026, 1, 1)].working and not by_day[D(2026, 1, 2)].working
    assert not by_day[D(2026, 1, 3)].working
    assert by_day[D(2026, 1, 4)].working and by_day[D(2026, 1, 4)].source == "makeup"


def test_labour_day_2026_and_its_saturday_makeup(by_day):
    assert [by_day[d].working for d in span(D(2026, 5, 1), D(2026, 5, 5))] == [False] * 5
    assert by_day[D(2026, 5, 9)].working and by_day[D(2026, 5, 9)].source == "makeup"


def test_plain_week_sources(by_day):
    assert by_day[D(2026, 3, 9)].source == "weekday" and by_day[D(2026, 3, 9)].working
    assert by_day[D(2026, 3, 7)].source == "weekend" and not by_day[D(2026, 3, 7)].working
    assert by_day[D(2026, 3, 7)].holiday_name is None


def test_every_source_is_known_and_working_matches_source(days):
    for d in days:
        assert d.source in bc.SOURCES
        assert d.working == (d.source in ("weekday", "makeup")) or d.source == "override"


def test_ordinal_is_a_running_count_from_the_range_start(days):
    assert days[0].wd_ordinal == int(days[0].working)
    for prev, cur in zip(days, days[1:]):
        assert cur.wd_ordinal == prev.wd_ordinal + int(cur.working)
    assert days[-1].wd_ordinal == sum(d.working for d in days)


def test_ordinal_restarts_at_the_given_start():
    days = bc.build_days(D(2026, 2, 13), D(2026, 2, 24))
    assert [d.wd_ordinal for d in days] == [1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3]


def test_empty_range_is_an_error():
    with pytest.raises(ValueError):
        bc.build_days(D(2026, 2, 2), D(2026, 2, 1))


def test_single_day_range():
    [day] = bc.build_days(D(2026, 2, 14), D(2026, 2, 14))
    assert day == bc.BusinessDay(D(2026, 2, 14), True, 1, None, "makeup")


# --- overrides and corrections -------------------------------------------------------------------


def test_company_overrides_win_over_the_public_calendar():
    overrides = {D(2026, 2, 14): False, D(2026, 2, 16): True, D(2026, 3, 9): False, D(2026, 3, 7): True}
    by_day = {d.day: d for d in bc.build_days(D(2026, 2, 1), D(2026, 3, 31), overrides=overrides)}
    for day, working in overrides.items():
        assert by_day[day].working is working and by_day[day].source == "override"
    assert by_day[D(2026, 2, 16)].holiday_name == "农历除夕"  # the overridden holiday keeps its name
    assert by_day[D(2026, 2, 28)].source == "makeup"  # untouched days unchanged


def test_override_changes_later_ordinals_only():
    base = bc.build_days(D(2026, 3, 2), D(2026, 3, 13))
    moved = bc.build_days(D(2026, 3, 2), D(2026, 3, 13), overrides={D(2026, 3, 9): False})
    assert [d.wd_ordinal for d in base[:7]] == [d.wd_ordinal for d in moved[:7]]
    assert moved[-1].wd_ordinal == base[-1].wd_ordinal - 1


def test_corrections_apply_and_overrides_beat_them():
    fixes = {D(2026, 3, 7): bc.Correction(True, "调休上班"), D(2026, 3, 10): bc.Correction(False, "假日")}
    by_day = {d.day: d for d in bc.build_days(D(2026, 3, 1), D(2026, 3, 31), corrections=fixes)}
    assert by_day[D(2026, 3, 7)].working and by_day[D(2026, 3, 7)].source == "makeup"
    assert by_day[D(2026, 3, 7)].holiday_name == "调休上班"
    assert not by_day[D(2026, 3, 10)].working and by_day[D(2026, 3, 10)].source == "holiday"
    assert by_day[D(2026, 3, 10)].holiday_name == "假日"
    over = bc.build_days(D(2026, 3, 7), D(2026, 3, 7), corrections=fixes, overrides={D(2026, 3, 7): False})
    assert not over[0].working and over[0].source == "override"


def test_shipped_cn_corrections_file_loads():
    fixes = bc.load_corrections()
    assert all(isinstance(k, dt.date) and isinstance(v.working, bool) for k, v in fixes.items())


def test_a_malformed_corrections_file_is_refused(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("corrections:\n  - date: 2026-03-07\n    working: maybe\n", encoding="utf-8")
    with pytest.raises(ValueError, match="corrections\\[0\\]"):
        bc.load_corrections(path)


def test_corrections_file_is_read(tmp_path):
    path = tmp_path / "fix.yaml"
    path.write_text("corrections:\n  - date: 2026-03-07\n    working: true\n    name: x\n", encoding="utf-8")
    assert bc.load_corrections(path) == {D(2026, 3, 7): bc.Correction(True, "x")}


# --- unpublished years, other countries ----------------------------------------------------------


def test_a_cn_year_without_an_official_schedule_is_not_guessed():
    last = bc.schedule_last_year("CN")
    assert last is not None and last >= 2026
    with pytest.raises(CalendarRangeError, match=f"only through {last}"):
        bc.build_days(D(last, 12, 1), D(last + 1, 1, 31))
    days = bc.build_days(D(last, 12, 1), D(last + 1, 1, 31), allow_estimated=True)
    assert days[-1].day == D(last + 1, 1, 31)


def test_default_fill_end():
    last = bc.schedule_last_year("CN")
    assert bc.default_fill_end("CN", D(2026, 11, 23)) == D(last, 12, 31)
    assert bc.schedule_last_year("DE") is None
    assert bc.default_fill_end("DE", D(2026, 11, 23)) == D(2027, 12, 31)


def test_other_country_and_subdivision():
    by_day = {d.day: d for d in bc.build_days(D(2026, 1, 1), D(2026, 1, 10), "DE", "BY")}
    assert not by_day[D(2026, 1, 6)].working and by_day[D(2026, 1, 6)].source == "holiday"  # Epiphany (BY)
    assert by_day[D(2026, 1, 7)].working
    berlin = {d.day: d for d in bc.build_days(D(2026, 1, 6), D(2026, 1, 6), "DE", "BE")}
    assert berlin[D(2026, 1, 6)].working


# --- WorkCalendar: N WD after t ------------------------------------------------------------------


def test_one_wd_on_a_plain_weekday_keeps_the_clock_time(cal):
    assert cal.add_working_days(at(2026, 3, 10, 10, 30), 1, SH) == at(2026, 3, 11, 10, 30)
    assert cal.add_working_days(at(2026, 3, 13, 16, 0), 1, SH) == at(2026, 3, 16, 16, 0)  # Fri -> Mon


def test_year_end_2025_runs_into_the_sunday_makeup_day(cal):
    # 2026-01-01..03 off, Sun 2026-01-04 is a make-up working day.
    assert cal.add_working_days(at(2025, 12, 31, 10), 1, SH) == at(2026, 1, 4, 10)
    assert cal.add_working_days(at(2025, 12, 31, 10), 2, SH) == at(2026, 1, 5, 10)
    assert cal.add_working_days(at(2025, 12, 30, 9), 2, SH) == at(2026, 1, 4, 9)


def test_year_end_2024_2025(cal):
    # 2025-01-01 (Wed) is New Year's Day; no make-up day around it.
    assert cal.add_working_days(at(2024, 12, 31, 18), 1, SH) == at(2025, 1, 2, 18)
    assert cal.add_working_days(at(2025, 1, 1, 9), 1, SH) == at(2025, 1, 3, 0)  # holiday start -> 00:00


def test_spring_festival_2026_deadlines(cal):
    assert cal.add_working_days(at(2026, 2, 13, 11), 1, SH) == at(2026, 2, 14, 11)  # Sat make-up
    assert cal.add_working_days(at(2026, 2, 13, 11), 2, SH) == at(2026, 2, 24, 11)
    assert cal.add_working_days(at(2026, 2, 18, 11), 1, SH) == at(2026, 2, 25, 0)
    assert cal.add_working_days(at(2026, 2, 27, 9), 1, SH) == at(2026, 2, 28, 9)
    assert cal.add_working_days(at(2026, 2, 28, 9), 1, SH) == at(2026, 3, 2, 9)


def test_national_day_2026_deadlines(cal):
    assert cal.add_working_days(at(2026, 9, 19, 14), 1, SH) == at(2026, 9, 21, 0)  # Sat -> Sun 20 is day 0
    assert cal.add_working_days(at(2026, 9, 20, 14), 1, SH) == at(2026, 9, 21, 14)
    assert cal.add_working_days(at(2026, 9, 30, 17), 1, SH) == at(2026, 10, 8, 17)
    assert cal.add_working_days(at(2026, 10, 4, 8), 2, SH) == at(2026, 10, 10, 0)  # Oct 8 00:00, then 9, 10
    assert cal.add_working_days(at(2026, 10, 9, 8), 1, SH) == at(2026, 10, 10, 8)  # Sat make-up


def test_weekend_start_counts_as_midnight_of_the_next_working_day(cal):
    # Sat 15:00 counts as Mon 00:00; 1 WD after Monday's date is Tuesday 00:00.
    assert cal.add_working_days(at(2026, 3, 7, 15), 1, SH) == at(2026, 3, 10, 0)
    assert cal.add_working_days(at(2026, 3, 8, 23, 59), 1, SH) == at(2026, 3, 10, 0)


def test_zero_wd(cal):
    assert cal.add_working_days(at(2026, 3, 10, 10, 30), 0, SH) == at(2026, 3, 10, 10, 30)
    assert cal.add_working_days(at(2026, 3, 7, 15), 0, SH) == at(2026, 3, 9, 0)
    assert cal.add_working_days(at(2026, 2, 15, 15), 0, SH) == at(2026, 2, 24, 0)


def test_start_exactly_at_midnight(cal):
    assert cal.add_working_days(at(2026, 3, 9, 0), 1, SH) == at(2026, 3, 10, 0)
    assert cal.add_working_days(at(2026, 3, 8, 0), 1, SH) == at(2026, 3, 10, 0)  # Sunday midnight
    assert cal.add_working_days(at(2026, 3, 9, 0), 0, SH) == at(2026, 3, 9, 0)


def test_start_in_another_zone_is_read_in_the_business_zone(cal):
    # Sun 17:00 UTC = Mon 01:00 in Shanghai: a working-day start.
    result = cal.add_working_days(dt.datetime(2026, 3, 8, 17, tzinfo=UTC), 1, SH)
    assert result == at(2026, 3, 10, 1) and result.tzinfo == SH
    # Fri 20:00 UTC = Sat 04:00 in Shanghai: a non-working start.
    assert cal.add_working_days(dt.datetime(2026, 3, 6, 20, tzinfo=UTC), 1, SH) == at(2026, 3, 10, 0)


def test_seconds_survive(cal):
    start = dt.datetime(2026, 3, 10, 10, 30, 15, 123456, tzinfo=SH)
    assert cal.add_working_days(start, 3, SH) == start + dt.timedelta(days=3)


def test_naive_start_and_negative_n_are_refused(cal):
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add_working_days(dt.datetime(2026, 3, 10, 10), 1, SH)
    with pytest.raises(ValueError):
        cal.add_working_days(at(2026, 3, 10, 10), -1, SH)


def test_wall_clock_arithmetic_in_a_dst_zone():
    berlin = ZoneInfo("Europe/Berlin")
    every_day = bc.WorkCalendar({d: True for d in span(D(2026, 3, 20), D(2026, 4, 5))})
    # 10:00 CET + 1 WD = 10:00 CEST next day (23 hours later), not 24 hours.
    start = dt.datetime(2026, 3, 28, 10, tzinfo=berlin)
    result = every_day.add_working_days(start, 1, berlin)
    assert (result.hour, result.utcoffset()) == (10, dt.timedelta(hours=2))
    assert result.astimezone(UTC) - start.astimezone(UTC) == dt.timedelta(hours=23)
    # 02:30 does not exist on 2026-03-29 in Berlin: normalised forward to 03:30 CEST.
    gap = every_day.add_working_days(dt.datetime(2026, 3, 28, 2, 30, tzinfo=berlin), 1, berlin)
    assert (gap.date(), gap.hour, gap.minute, gap.utcoffset()) == (D(2026, 3, 29), 3, 30, dt.timedelta(hours=2))


def test_deadline_past_the_end_of_the_range_is_an_error(cal):
    with pytest.raises(CalendarRangeError, match="calendar fill --to 2027-12-31"):
        cal.add_working_days(at(2026, 12, 31, 10), 1, SH)
    assert cal.add_working_days(at(2026, 12, 30, 10), 1, SH) == at(2026, 12, 31, 10)


def test_dates_outside_the_range_are_errors_naming_the_date(cal):
    with pytest.raises(CalendarRangeError, match=r"2027-01-04 .*2019-01-01\.\.2026-12-31.*--to 2027-12-31"):
        cal.is_working(D(2027, 1, 4))
    with pytest.raises(CalendarRangeError, match="2018-12-31.*--from 2018-12-31"):
        cal.ordinal(D(2018, 12, 31))
    with pytest.raises(CalendarRangeError):
        cal.add_working_days(at(2027, 1, 4, 10), 1, SH)
    with pytest.raises(CalendarRangeError):
        cal.working_days_between(D(2026, 12, 1), D(2027, 1, 10))


def test_a_datetime_is_not_a_date(cal):
    with pytest.raises(TypeError):
        cal.is_working(dt.datetime(2026, 3, 10, 10))


def test_next_working_day_and_on_or_after(cal):
    assert cal.next_working_day(D(2026, 3, 10)) == D(2026, 3, 11)
    assert cal.next_working_day(D(2026, 3, 13)) == D(2026, 3, 16)
    assert cal.next_working_day(D(2026, 2, 14)) == D(2026, 2, 24)
    assert cal.next_working_day(D(2026, 9, 19)) == D(2026, 9, 20)
    assert cal.working_day_on_or_after(D(2026, 3, 10)) == D(2026, 3, 10)
    assert cal.working_day_on_or_after(D(2026, 10, 1)) == D(2026, 10, 8)
    with pytest.raises(CalendarRangeError):
        cal.next_working_day(D(2026, 12, 31))


def test_working_days_between_counts_a_lt_d_le_b(cal):
    assert cal.working_days_between(D(2026, 3, 10), D(2026, 3, 10)) == 0
    assert cal.working_days_between(D(2026, 3, 10), D(2026, 3, 11)) == 1
    assert cal.working_days_between(D(2026, 2, 13), D(2026, 2, 24)) == 2  # Sat 14 and Tue 24
    assert cal.working_days_between(D(2026, 3, 7), D(2026, 3, 9)) == 1
    assert cal.working_days_between(D(2026, 3, 11), D(2026, 3, 10)) == -1


def test_o1_example_deadline_wednesday_open_on_monday_evening(cal):
    # POLICY O1: deadline Wed, still open Monday evening -> Wed, Thu, Fri, Mon.
    assert cal.working_days(D(2026, 3, 11), D(2026, 3, 16)) == [
        D(2026, 3, 11), D(2026, 3, 12), D(2026, 3, 13), D(2026, 3, 16)
    ]
    assert cal.working_days_between(D(2026, 3, 10), D(2026, 3, 16)) == 4


def test_working_days_edges(cal):
    assert cal.working_days(D(2026, 2, 15), D(2026, 2, 23)) == []
    assert cal.working_days(D(2026, 2, 14), D(2026, 2, 14)) == [D(2026, 2, 14)]
    assert cal.working_days(D(2026, 3, 11), D(2026, 3, 10)) == []
    assert cal.working_days(D(2026, 10, 1), D(2026, 10, 10)) == [D(2026, 10, 8), D(2026, 10, 9), D(2026, 10, 10)]


def test_ordinals_are_monotonic_and_match_build_days(cal, days):
    assert cal.first_day == D(2019, 1, 1) and cal.last_day == D(2026, 12, 31)
    for d in days:
        assert cal.ordinal(d.day) == d.wd_ordinal and cal.is_working(d.day) == d.working


def test_work_calendar_needs_contiguous_days():
    with pytest.raises(ValueError):
        bc.WorkCalendar({})
    with pytest.raises(ValueError, match="not contiguous"):
        bc.WorkCalendar({D(2026, 3, 9): True, D(2026, 3, 11): True})


def test_n_wd_after_is_consistent_with_ordinals(cal):
    start = at(2026, 1, 5, 9)
    for n in range(0, 240, 7):
        due = cal.add_working_days(start, n, SH)
        assert cal.is_working(due.date()) and due.time() == dt.time(9)
        assert cal.working_days_between(start.date(), due.date()) == n

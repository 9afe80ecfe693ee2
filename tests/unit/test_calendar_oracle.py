"""Oracle: the built CN calendar agrees with `chinese_calendar` on every date 2020–2026 (POLICY §1)."""

from __future__ import annotations

import datetime as dt

import chinese_calendar

from complaint_ops import business_calendar as bc


def _mismatches(start: dt.date, end: dt.date) -> dict[dt.date, bool]:
    return {
        d.day: d.working for d in bc.build_days(start, end, "CN") if d.working != chinese_calendar.is_workday(d.day)
    }


def test_every_date_2020_to_2026_matches_chinese_calendar():
    assert _mismatches(dt.date(2020, 1, 1), dt.date(2026, 12, 31)) == {}


def test_the_only_older_disagreement_is_reviewed():
    # Sat 2005-12-31 was a make-up working day for New Year 2006 (see data/cn_calendar_corrections.yaml):
    # chinese_calendar misses it, holidays (and so this calendar) has it right.
    assert _mismatches(dt.date(2004, 1, 1), dt.date(2019, 12, 31)) == {dt.date(2005, 12, 31): True}

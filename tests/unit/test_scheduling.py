"""One business-date rule for scheduled, manual and backfill runs (never `ds`, which is UTC)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from complaint_ops.errors import UserError
from complaint_ops.scheduling import business_date

SH = ZoneInfo("Asia/Shanghai")
UTC = dt.timezone.utc


def test_scheduled_run_at_19_30_local_is_that_local_date():
    assert business_date({}, dt.datetime(2026, 3, 4, 11, 30, tzinfo=UTC), None, SH) == dt.date(2026, 3, 4)


def test_logical_date_late_in_the_utc_evening_is_the_next_local_day_not_ds():
    # ds would say 2026-03-04; in Shanghai it is already 07:30 on the 5th
    assert business_date({}, dt.datetime(2026, 3, 4, 23, 30, tzinfo=UTC), None, SH) == dt.date(2026, 3, 5)


def test_dateless_rest_trigger_uses_run_after():
    assert business_date(None, None, dt.datetime(2026, 3, 4, 16, 30, tzinfo=UTC), SH) == dt.date(2026, 3, 5)


def test_run_conf_business_date_overrides():
    assert business_date({"business_date": "2026-02-14"}, dt.datetime(2026, 3, 4, tzinfo=UTC), None, SH) == dt.date(2026, 2, 14)


@pytest.mark.parametrize("conf", [{"business_date": "14/02/2026"}, {"business_date": "2026-02-30"}])
def test_bad_run_conf_is_a_clear_error(conf):
    with pytest.raises(UserError, match="not a date"):
        business_date(conf, None, None, SH)


def test_no_date_at_all_is_a_clear_error():
    with pytest.raises(UserError, match="business_date"):
        business_date({}, None, None, SH)

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


def test_backfill_window_covers_whole_local_days_with_offsets():
    from complaint_ops.backfill import command

    cmd = command(dt.date(2026, 3, 2), dt.date(2026, 3, 6), SH, send=True)
    assert cmd[cmd.index("--from-date") + 1] == "2026-03-02T00:00:00+08:00"
    assert cmd[cmd.index("--to-date") + 1] == "2026-03-06T23:59:59+08:00"  # the 6th's 19:30 run is inside
    assert cmd[cmd.index("--reprocess-behavior") + 1] == "completed"
    assert '{"send": true}' in cmd


@pytest.mark.parametrize(("run_type", "conf", "mode"), [
    ("scheduled", {}, "send"), ("manual", {}, "send"), ("backfill", {}, "archive"),
    ("enum", {}, "archive"), ("backfill", {"send": True}, "send"), ("manual", {"send": False}, "archive"),
])
def test_backfills_archive_their_mail_unless_asked(run_type, conf, mode):
    from types import SimpleNamespace

    from complaint_ops.tasks import mail_mode

    if run_type == "enum":  # what Airflow puts in the context
        from airflow.utils.types import DagRunType

        run_type = DagRunType.BACKFILL_JOB
    assert mail_mode({"dag_run": SimpleNamespace(run_type=run_type, conf=conf)}) == mode


def test_deadline_callback_names_the_run_from_the_triggerers_context(monkeypatch):
    import asyncio

    from complaint_ops import ops

    sent = []
    monkeypatch.setattr(ops, "notify", lambda subject, body, *, key, now=None: sent.append((subject, key)))
    asyncio.run(ops.deadline_missed({"dag_run": {"dag_run_id": "scheduled__2026-03-04T11:30:00+00:00"}}, deadline_hours=3))
    assert sent == [(sent[0][0], "deadline:scheduled__2026-03-04T11:30:00+00:00")]
    assert "scheduled__2026-03-04" in sent[0][0]


def test_daily_deadline_counts_from_when_the_run_was_queued(monkeypatch):
    from airflow.sdk import DeadlineReference

    from complaint_ops.dag_defaults import daily_deadline

    monkeypatch.setenv("COMPLAINT_OPS_DAILY_DEADLINE_HOURS", "3")
    assert daily_deadline().reference == DeadlineReference.DAGRUN_QUEUED_AT
    monkeypatch.setenv("COMPLAINT_OPS_DAILY_DEADLINE_HOURS", "0")
    assert daily_deadline() is None

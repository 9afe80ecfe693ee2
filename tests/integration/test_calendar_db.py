"""The stored business calendar and the `calendar` CLI, on SQLite and PostgreSQL (POLICY §1)."""

from __future__ import annotations

import datetime as dt
import json
import time
from zoneinfo import ZoneInfo

import pytest

from complaint_ops import business_calendar as bc
from complaint_ops import db
from complaint_ops.cli import main
from complaint_ops.errors import CalendarRangeError

D = dt.date
SH = ZoneInfo("Asia/Shanghai")


def rows(engine, start, end):
    with engine.connect() as conn:
        return {d.day: d for d in bc.stored_days(conn, start, end)}


def fill(engine, start, end, **kw):
    with db.transaction(engine) as conn:
        return bc.fill(conn, start, end, "CN", None, **kw)


def url(engine):
    return engine.url.render_as_string(hide_password=False)


# --- fill / load ---------------------------------------------------------------------------------


def test_fill_stores_every_day_with_contiguous_ordinals(engine):
    assert fill(engine, D(2026, 1, 1), D(2026, 12, 31)) == 365
    stored = rows(engine, D(2026, 1, 1), D(2026, 12, 31))
    assert stored == {d.day: d for d in bc.build_days(D(2026, 1, 1), D(2026, 12, 31))}
    assert stored[D(2026, 2, 14)].working is True and stored[D(2026, 2, 14)].source == "makeup"
    assert stored[D(2026, 10, 1)].holiday_name == "国庆节"
    with engine.connect() as conn:
        meta = bc.meta(conn)
    assert (meta.country, meta.subdivision) == ("CN", None)
    assert (meta.first_day, meta.last_day) == (D(2026, 1, 1), D(2026, 12, 31))
    assert meta.filled_at.tzinfo is not None


def test_fill_extends_to_the_union_and_renumbers(engine):
    fill(engine, D(2026, 6, 1), D(2026, 6, 30))
    fill(engine, D(2026, 1, 1), D(2026, 1, 31))  # gap Feb..May must be filled too
    with engine.connect() as conn:
        meta = bc.meta(conn)
        cal = bc.load(conn)
    assert (meta.first_day, meta.last_day) == (D(2026, 1, 1), D(2026, 6, 30))
    stored = rows(engine, D(2026, 1, 1), D(2026, 6, 30))
    assert len(stored) == 181
    assert stored[D(2026, 1, 1)].wd_ordinal == 0 and stored[D(2026, 1, 4)].wd_ordinal == 1
    ordinals = [stored[d].wd_ordinal for d in sorted(stored)]
    assert ordinals == sorted(ordinals) and ordinals[-1] == sum(d.working for d in stored.values())
    assert cal.ordinal(D(2026, 6, 30)) == stored[D(2026, 6, 30)].wd_ordinal


def test_twenty_years_fill_fast(engine):
    begin = time.perf_counter()
    assert fill(engine, D(2007, 1, 1), D(2026, 12, 31)) == 7305
    assert time.perf_counter() - begin < 3.0
    begin = time.perf_counter()
    with engine.connect() as conn:
        cal = bc.load(conn)
    assert time.perf_counter() - begin < 2.0
    due = cal.add_working_days(dt.datetime(2025, 12, 31, 10, tzinfo=SH), 1, SH)
    assert due == dt.datetime(2026, 1, 4, 10, tzinfo=SH)


def test_load_a_sub_range_and_out_of_range(engine):
    fill(engine, D(2026, 1, 1), D(2026, 12, 31))
    with engine.connect() as conn:
        cal = bc.load(conn, D(2026, 2, 1), D(2026, 3, 31))
        assert (cal.first_day, cal.last_day) == (D(2026, 2, 1), D(2026, 3, 31))
        assert cal.working_days(D(2026, 2, 14), D(2026, 2, 28))[:2] == [D(2026, 2, 14), D(2026, 2, 24)]
        message = r"2026-12-01\.\.2027-01-31.*2026-01-01\.\.2026-12-31.*--to 2027-12-31"
        with pytest.raises(CalendarRangeError, match=message):
            bc.load(conn, D(2026, 12, 1), D(2027, 1, 31))
        with pytest.raises(CalendarRangeError, match="--from 2025-12-01"):
            bc.load(conn, D(2025, 12, 1), D(2026, 1, 31))


def test_load_of_an_empty_calendar_says_to_fill(engine):
    with engine.connect() as conn:
        with pytest.raises(CalendarRangeError, match="calendar fill"):
            bc.load(conn)
        with pytest.raises(CalendarRangeError, match="never filled"):
            bc.stored_days(conn, D(2026, 1, 1), D(2026, 1, 2))


def test_estimated_year_is_refused_and_the_table_is_unchanged(engine):
    fill(engine, D(2026, 1, 1), D(2026, 3, 31))
    last = bc.schedule_last_year("CN")
    with pytest.raises(CalendarRangeError, match="only through"):
        fill(engine, D(2026, 1, 1), D(last + 1, 3, 31))
    with engine.connect() as conn:
        assert (bc.meta(conn).first_day, bc.meta(conn).last_day) == (D(2026, 1, 1), D(2026, 3, 31))
    fill(engine, D(2026, 1, 1), D(last + 1, 1, 31), allow_estimated=True)
    with engine.connect() as conn:
        assert bc.meta(conn).last_day == D(last + 1, 1, 31)


# --- overrides -----------------------------------------------------------------------------------


def test_override_inside_the_range_refills(engine):
    fill(engine, D(2026, 5, 1), D(2026, 5, 31))
    before = rows(engine, D(2026, 5, 1), D(2026, 5, 31))
    with db.transaction(engine) as conn:
        assert bc.set_override(conn, D(2026, 5, 9), False, "company trip") == 31
    after = rows(engine, D(2026, 5, 1), D(2026, 5, 31))
    assert after[D(2026, 5, 9)].working is False and after[D(2026, 5, 9)].source == "override"
    assert after[D(2026, 5, 31)].wd_ordinal == before[D(2026, 5, 31)].wd_ordinal - 1
    with db.transaction(engine) as conn:
        bc.set_override(conn, D(2026, 5, 9), True, "changed our mind")  # upsert
        assert bc.overrides(conn) == {D(2026, 5, 9): True}
        reason = db.fetch(conn, "calendar_overrides")[0]["reason"]
    assert reason == "changed our mind"
    with db.transaction(engine) as conn:
        assert bc.remove_override(conn, D(2026, 5, 9)) is True
        assert bc.remove_override(conn, D(2026, 5, 9)) is False
    assert rows(engine, D(2026, 5, 1), D(2026, 5, 31)) == before


def test_override_outside_the_range_waits_for_the_next_fill(engine):
    fill(engine, D(2026, 3, 1), D(2026, 3, 31))
    with db.transaction(engine) as conn:
        assert bc.set_override(conn, D(2026, 4, 7), False, "office move") == 0
    with pytest.raises(CalendarRangeError):
        rows(engine, D(2026, 4, 7), D(2026, 4, 7))
    fill(engine, D(2026, 4, 1), D(2026, 4, 30))
    assert rows(engine, D(2026, 4, 7), D(2026, 4, 7))[D(2026, 4, 7)].working is False


def test_override_before_any_fill_is_kept(engine):
    with db.transaction(engine) as conn:
        assert bc.set_override(conn, D(2026, 2, 16), True, "on duty") == 0
    fill(engine, D(2026, 2, 1), D(2026, 2, 28))
    day = rows(engine, D(2026, 2, 16), D(2026, 2, 16))[D(2026, 2, 16)]
    assert (day.working, day.source, day.holiday_name) == (True, "override", "农历除夕")


# --- coverage ------------------------------------------------------------------------------------


def test_coverage_gaps(engine):
    with engine.connect() as conn:
        assert len(bc.coverage_gaps(conn, D(2026, 11, 23), 90)) == 90
    fill(engine, D(2026, 1, 1), D(2026, 12, 31))
    with engine.connect() as conn:
        assert bc.coverage_gaps(conn, D(2026, 10, 1), 90) == []
        gaps = bc.coverage_gaps(conn, D(2026, 11, 23), 90)
        assert bc.coverage_gaps(conn, D(2026, 12, 31), 1) == []
        assert bc.coverage_gaps(conn, D(2026, 12, 31), 2) == [D(2027, 1, 1)]
    assert gaps[0] == D(2027, 1, 1) and gaps[-1] == D(2027, 2, 20) and len(gaps) == 51


# --- CLI -----------------------------------------------------------------------------------------


def cli(engine, *args):
    return main(["--db", url(engine), "calendar", *args])


def test_cli_fill_default_range(engine, capsys):
    assert cli(engine, "fill") == 0
    last = bc.schedule_last_year("CN")
    assert f"2019-01-01..{last}-12-31" in capsys.readouterr().out


def test_cli_show_json(engine, capsys):
    assert cli(engine, "fill", "--from", "2026-01-01", "--to", "2026-12-31") == 0
    capsys.readouterr()
    assert cli(engine, "show", "--from", "2026-02-13", "--to", "2026-02-15", "--format", "json") == 0
    assert json.loads(capsys.readouterr().out) == [
        {"date": "2026-02-13", "working": True},
        {"date": "2026-02-14", "working": True},
        {"date": "2026-02-15", "working": False},
    ]


def test_cli_show_table_and_csv(engine, capsys):
    cli(engine, "fill", "--from", "2026-09-01", "--to", "2026-10-31")
    capsys.readouterr()
    assert cli(engine, "show", "--from", "2026-09-30", "--to", "2026-10-01") == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["date", "weekday", "working", "source", "holiday"]
    assert table[3].split() == ["2026-10-01", "Thu", "no", "holiday", "国庆节"]
    assert cli(engine, "show", "--from", "2026-09-20", "--to", "2026-09-20", "--format", "csv") == 0
    assert capsys.readouterr().out.splitlines()[1] == "2026-09-20,Sun,yes,makeup,"


def test_cli_show_month_grid(engine, capsys):
    cli(engine, "fill", "--from", "2026-01-01", "--to", "2026-03-31")
    capsys.readouterr()
    assert cli(engine, "show", "2026-02") == 0
    out = capsys.readouterr().out
    assert "  9    10    11    12    13    14 M [15]\n" in out  # Sat 14 make-up, Sun 15 off
    assert "[16]H [17]H [18]H [19]H [20]H [21]  [22]\n" in out
    assert "2026-02-14 Sat  working  make-up working day" in out
    assert "2026-02-17 Tue  off      holiday  春节" in out
    assert "working days: 16 of 28" in out


def test_cli_show_outside_the_range_is_a_clear_error(engine, capsys):
    cli(engine, "fill", "--from", "2026-01-01", "--to", "2026-12-31")
    capsys.readouterr()
    assert cli(engine, "show", "2027-01") == 2
    assert "calendar fill --to 2027-12-31" in capsys.readouterr().err
    assert cli(engine, "show", "2026-13") == 2
    assert cli(engine, "show") == 2


def test_cli_override_working_off_remove(engine, capsys):
    cli(engine, "fill", "--from", "2026-05-01", "--to", "2026-05-31")
    assert cli(engine, "override", "2026-05-09", "--off", "--reason", "company trip") == 0
    assert cli(engine, "override", "2026-05-11", "--working") == 0
    assert cli(engine, "override", "2026-05-12", "--working") == 0
    assert cli(engine, "override", "2026-05-12", "--remove") == 0
    capsys.readouterr()
    cli(engine, "show", "--from", "2026-05-09", "--to", "2026-05-12", "--format", "json")
    assert [d["working"] for d in json.loads(capsys.readouterr().out)] == [False, False, True, True]
    with engine.connect() as conn:
        assert bc.overrides(conn) == {D(2026, 5, 9): False, D(2026, 5, 11): True}
    assert cli(engine, "override", "2026-05-13", "--remove") == 0
    assert "no override" in capsys.readouterr().out
    with pytest.raises(SystemExit):  # argparse: one of --working/--off/--remove is required
        cli(engine, "override", "2026-05-13")


def test_cli_check(engine, capsys):
    assert cli(engine, "check", "--today", "2026-11-23") == 1
    cli(engine, "fill", "--from", "2026-01-01", "--to", "2026-12-31")
    capsys.readouterr()
    assert cli(engine, "check", "--today", "2026-09-01", "--days", "90") == 0
    assert "covers the next 90 days" in capsys.readouterr().out
    assert cli(engine, "check", "--today", "2026-11-23") == 1
    err = capsys.readouterr().err
    assert "2027-01-01..2027-02-20" in err and "calendar fill --to 2027-12-31" in err


def test_cli_fill_estimated_year(engine, capsys):
    last = bc.schedule_last_year("CN")
    assert cli(engine, "fill", "--from", f"{last}-12-01", "--to", f"{last + 1}-01-31") == 2
    assert "--allow-estimated" in capsys.readouterr().err
    assert cli(engine, "fill", "--from", f"{last}-12-01", "--to", f"{last + 1}-01-31", "--allow-estimated") == 0
    assert "estimated" in capsys.readouterr().err

"""The business calendar: which dates are working days 工作日, and "N WD after t" (POLICY §1 Words).

Why it looks like this:
- a working day is Monday–Friday, minus public holidays, plus make-up working days 调休, as the
  `holidays` package says for the configured country (with the reviewed CN corrections in
  `data/cn_calendar_corrections.yaml`), and then the company's own overrides win (POLICY §1);
- `business_days` is a derived table: `fill` recomputes the whole stored range at once, so the running
  working-day ordinal stays contiguous and "N WD after t" is an ordinal lookup;
- every deadline and overdue count (I1–I3, E1–E4, O1, S1) depends on it, so a date outside the
  filled range is a `CalendarRangeError`, never a guess. That includes CN years whose State Council
  schedule the package does not know yet: their make-up days cannot be derived from rules.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays
import yaml
from sqlalchemy.engine import Connection

from complaint_ops import db
from complaint_ops.errors import CalendarRangeError

log = logging.getLogger(__name__)

SOURCES = ("weekday", "weekend", "holiday", "makeup", "override")
CORRECTIONS_PATH = Path(__file__).resolve().parent / "data" / "cn_calendar_corrections.yaml"
# Default start of `calendar fill`: early enough for any backfill of past business dates.
DEFAULT_FILL_START = dt.date(2019, 1, 1)
_NO_OVERRIDES: Mapping[dt.date, bool] = MappingProxyType({})
_ONE_DAY = dt.timedelta(days=1)


def day_end(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """The instant a business day ends: next local midnight (events at or after it belong to the next day)."""
    return dt.datetime.combine(day + _ONE_DAY, dt.time(0), tzinfo=tz)


@dataclass(frozen=True)
class BusinessDay:
    """One row of `business_days`; `wd_ordinal` counts working days on or before `day` in its range."""

    day: dt.date
    working: bool
    wd_ordinal: int
    holiday_name: str | None
    source: str  # one of SOURCES


@dataclass(frozen=True)
class Correction:
    working: bool
    name: str | None


# --- pure part -----------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def load_corrections(path: Path = CORRECTIONS_PATH) -> Mapping[dt.date, Correction]:
    """Dates where `holidays` is wrong about CN, each reviewed against the State Council notice."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: dict[dt.date, Correction] = {}
    for i, entry in enumerate(data.get("corrections") or []):
        day = entry.get("date") if isinstance(entry, dict) else None
        working = entry.get("working") if isinstance(entry, dict) else None
        if not isinstance(day, dt.date) or not isinstance(working, bool):
            raise ValueError(f"{path}: corrections[{i}] needs `date: YYYY-MM-DD` and `working: true|false`")
        out[day] = Correction(working, entry.get("name"))
    return MappingProxyType(out)


def schedule_last_year(country: str) -> int | None:
    """Last year whose official make-up-day schedule the data knows, or None for rule-only countries.

    CN make-up days 调休 exist only once the State Council publishes the year's notice (usually in
    November); before that the package can only estimate the year, which would be a guess.
    """
    if country.upper() != "CN":
        return None
    from holidays.countries.china import ChinaStaticHolidays

    return max(ChinaStaticHolidays.special_public_holidays)


def default_fill_end(country: str, today: dt.date) -> dt.date:
    """Dec 31 of the last officially published CN year; Dec 31 of next year for rule-only countries."""
    last = schedule_last_year(country)
    return dt.date(last if last is not None else today.year + 1, 12, 31)


def build_days(
    start: dt.date,
    end: dt.date,
    country: str = "CN",
    subdivision: str | None = None,
    overrides: Mapping[dt.date, bool] = _NO_OVERRIDES,
    *,
    corrections: Mapping[dt.date, Correction] | None = None,
    allow_estimated: bool = False,
) -> list[BusinessDay]:
    """Every date in [start, end] with its working flag and running ordinal (POLICY §1 "working day").

    Order of precedence: company override > CN correction > `holidays` (public holidays and its
    `weekend_workdays`, the make-up days) > Monday–Friday. `corrections=None` reads the shipped file
    for CN. Years beyond the published CN schedule raise unless `allow_estimated`.
    """
    if start > end:
        raise ValueError(f"empty calendar range {start}..{end}")
    last_official = schedule_last_year(country)
    if last_official is not None and end.year > last_official and not allow_estimated:
        raise CalendarRangeError(
            f"holidays {holidays.__version__} knows the official {country} holiday schedule only through "
            f"{last_official}; {end} would be a guess (make-up days unknown). Upgrade the `holidays` "
            f"package, or fill with --allow-estimated and enter the published notice with "
            f"`complaint-ops calendar override`"
        )
    if corrections is None:
        corrections = load_corrections() if country.upper() == "CN" else _NO_OVERRIDES
    language = holidays.country_holidays(country, subdiv=subdivision).default_language
    # A notice can move a rest day of late December into the next year's break (2005-12-31 for
    # New Year 2006), so the following year is loaded as well.
    source = holidays.country_holidays(
        country, subdiv=subdivision, years=range(start.year, end.year + 2), language=language
    )
    days: list[BusinessDay] = []
    ordinal = 0
    day = start
    while day <= end:
        fix = corrections.get(day)
        if fix is not None:
            working, name = fix.working, fix.name
        else:
            working = source.is_working_day(day)
            name = None if working else source.get(day)
        if day in overrides:
            working, kind = bool(overrides[day]), "override"
        elif working:
            kind = "makeup" if source.is_weekend(day) else "weekday"
        else:
            kind = "holiday" if name else "weekend"
        ordinal += working
        days.append(BusinessDay(day, working, ordinal, name, kind))
        day += _ONE_DAY
    return days


class WorkCalendar:
    """Working-day arithmetic over one contiguous, filled range of dates (POLICY §1 "N WD after t").

    `ordinal(d)` counts working days on or before `d` from `first_day`. Any date outside
    [first_day, last_day], or a step that would need one, raises `CalendarRangeError`.
    """

    def __init__(self, days: Mapping[dt.date, bool]):
        if not days:
            raise ValueError("a work calendar needs at least one day")
        self.first_day, self.last_day = min(days), max(days)
        span = (self.last_day - self.first_day).days + 1
        if len(days) != span:
            raise ValueError(
                f"calendar days {self.first_day}..{self.last_day} are not contiguous ({span - len(days)} missing)"
            )
        self._working = [bool(days[self.first_day + dt.timedelta(days=i)]) for i in range(span)]
        self._ordinals = list(itertools.accumulate(int(w) for w in self._working))
        self._dates = [self.first_day + dt.timedelta(days=i) for i, w in enumerate(self._working) if w]

    @classmethod
    def from_days(cls, days: Iterable[BusinessDay]) -> WorkCalendar:
        return cls({d.day: d.working for d in days})

    def __repr__(self) -> str:
        return f"WorkCalendar({self.first_day}..{self.last_day}, {len(self._dates)} working days)"

    def _fill_hint(self, day: dt.date) -> str:
        option = f"--from {day}" if day < self.first_day else f"--to {dt.date(day.year, 12, 31)}"
        return f"run `complaint-ops calendar fill {option}`"

    def _index(self, day: dt.date) -> int:
        if isinstance(day, dt.datetime):  # its date depends on the zone: the caller must choose
            raise TypeError(f"{day!r} is a datetime: pass the local date")
        if not self.first_day <= day <= self.last_day:
            raise CalendarRangeError(
                f"{day} is outside the business calendar (filled {self.first_day}..{self.last_day}): "
                + self._fill_hint(day)
            )
        return (day - self.first_day).days

    def _nth(self, ordinal: int, after: dt.date) -> dt.date:
        """The working day with this ordinal; past the end of the range is an error, not a guess."""
        if ordinal > len(self._dates):
            raise CalendarRangeError(
                f"the working days after {after} run past the business calendar (filled "
                f"{self.first_day}..{self.last_day}): " + self._fill_hint(dt.date(self.last_day.year + 1, 1, 1))
            )
        return self._dates[ordinal - 1]

    def is_working(self, day: dt.date) -> bool:
        return self._working[self._index(day)]

    def ordinal(self, day: dt.date) -> int:
        return self._ordinals[self._index(day)]

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day strictly after `day`."""
        return self._nth(self.ordinal(day) + 1, after=day)

    def previous_working_day(self, day: dt.date) -> dt.date:
        """The working day before `day` (a run's period is (that day, day]); before the calendar: its eve."""
        probe = day - _ONE_DAY
        while probe >= self.first_day:
            if self.is_working(probe):
                return probe
            probe -= _ONE_DAY
        return self.first_day - _ONE_DAY

    def working_day_on_or_after(self, day: dt.date) -> dt.date:
        return day if self.is_working(day) else self.next_working_day(day)

    def add_working_days(self, start: dt.datetime, n: int, tz: ZoneInfo) -> dt.datetime:
        """POLICY §1 "N WD after t": the same local clock time on the Nth working day after t's date.

        A start on a non-working day counts as 00:00 of the next working day. The result is aware in
        `tz`; a wall time that does not exist there (DST gap) is normalised forward.
        """
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError(f"naive datetime {start!r}: a start time must be timezone-aware")
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        local = start.astimezone(tz)
        day, clock = local.date(), local.time()  # .time() keeps `fold` for repeated wall times
        if not self.is_working(day):
            day, clock = self.next_working_day(day), dt.time(0)
        target = self._nth(self.ordinal(day) + n, after=day)
        return dt.datetime.combine(target, clock, tzinfo=tz).astimezone(dt.timezone.utc).astimezone(tz)

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """Working days d with a < d <= b (negative when b < a): the O1 count of days that ended."""
        return self.ordinal(b) - self.ordinal(a)

    def working_days(self, a: dt.date, b: dt.date) -> list[dt.date]:
        """Working days in [a, b] (empty when b < a)."""
        lo = self.ordinal(a) - self.is_working(a)
        return self._dates[lo : self.ordinal(b)]


# --- database part -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarMeta:
    country: str
    subdivision: str | None
    first_day: dt.date
    last_day: dt.date
    filled_at: dt.datetime


def meta(conn: Connection) -> CalendarMeta | None:
    """What `business_days` holds (country and range), or None when it was never filled."""
    rows = db.fetch(conn, "calendar_meta")
    if not rows:
        return None
    r = rows[0]
    return CalendarMeta(
        r["country"], r["subdivision"], db.as_date(r["first_day"]), db.as_date(r["last_day"]), r["filled_at"]
    )


def overrides(conn: Connection) -> dict[dt.date, bool]:
    return {r["day"]: bool(r["working"]) for r in db.fetch(conn, "calendar_overrides")}


def fill(
    conn: Connection,
    start: dt.date,
    end: dt.date,
    country: str = "CN",
    subdivision: str | None = None,
    *,
    allow_estimated: bool = False,
) -> int:
    """(Re)build `business_days` over the stored range ∪ [start, end]; returns the number of days.

    The table is derived data: it is replaced as a whole, inside the caller's transaction
    (`db.transaction`), so readers never see a half-filled range or a gap in the ordinals.
    """
    current = meta(conn)
    if current is not None:
        start, end = min(start, current.first_day), max(end, current.last_day)
    days = build_days(start, end, country, subdivision, overrides(conn), allow_estimated=allow_estimated)
    db.execute(conn, "calendar_days_delete")
    conn.execute(
        db.query("calendar_day_insert"),
        [
            {"day": d.day, "working": d.working, "wd_ordinal": d.wd_ordinal, "holiday_name": d.holiday_name,
             "source": d.source}
            for d in days
        ],
    )
    db.execute(
        conn, "calendar_meta_upsert", country=country, subdivision=subdivision, from_date=start, to_date=end,
        filled_at=dt.datetime.now(dt.timezone.utc),
    )
    log.info("business calendar %s filled %s..%s (%d days)", country, start, end, len(days))
    return len(days)


def _refill_if_covers(conn: Connection, day: dt.date) -> int:
    """Re-derive the stored range when `day` is inside it; an override outside waits for the next fill."""
    current = meta(conn)
    if current is None or not current.first_day <= day <= current.last_day:
        return 0
    # The range was accepted when it was filled; a refill does not extend it, so no new estimate.
    return fill(conn, current.first_day, current.last_day, current.country, current.subdivision, allow_estimated=True)


def set_override(conn: Connection, day: dt.date, working: bool, reason: str | None = None) -> int:
    """Record a company override (POLICY §1: overrides win) and re-derive; returns days refilled."""
    db.execute(
        conn, "calendar_override_upsert", day=day, working=bool(working), reason=reason,
        created_at=dt.datetime.now(dt.timezone.utc),
    )
    return _refill_if_covers(conn, day)


def remove_override(conn: Connection, day: dt.date) -> bool:
    """Drop a company override and re-derive; False when there was none."""
    if not db.execute(conn, "calendar_override_delete", day=day):
        return False
    _refill_if_covers(conn, day)
    return True


def stored_days(conn: Connection, start: dt.date, end: dt.date) -> list[BusinessDay]:
    """The stored rows in [start, end]; raises unless every date is there."""
    rows = db.fetch(conn, "calendar_days", from_date=start, to_date=end)
    if len(rows) != (end - start).days + 1:
        current = meta(conn)
        filled = f"filled {current.first_day}..{current.last_day}" if current else "never filled"
        option = f"--from {start}" if current and start < current.first_day else f"--to {dt.date(end.year, 12, 31)}"
        raise CalendarRangeError(
            f"the business calendar does not cover {start}..{end} ({filled}): "
            f"run `complaint-ops calendar fill {option}`"
        )
    return [
        BusinessDay(r["day"], bool(r["working"]), r["wd_ordinal"], r["holiday_name"], r["source"]) for r in rows
    ]


def load(conn: Connection, start: dt.date | None = None, end: dt.date | None = None) -> WorkCalendar:
    """A WorkCalendar over [start, end] (default: the whole stored range), fully covered or an error."""
    current = meta(conn)
    if current is None:
        raise CalendarRangeError("the business calendar is empty: run `complaint-ops calendar fill`")
    start = current.first_day if start is None else start
    end = current.last_day if end is None else end
    if start > end:
        raise ValueError(f"empty calendar range {start}..{end}")
    return WorkCalendar.from_days(stored_days(conn, start, end))


def coverage_gaps(conn: Connection, from_day: dt.date, days: int = 90) -> list[dt.date]:
    """Dates among the `days` dates starting at `from_day` that `business_days` does not hold."""
    if days < 1:
        return []
    to_day = from_day + dt.timedelta(days=days - 1)
    have = {r["day"] for r in db.fetch(conn, "calendar_days", from_date=from_day, to_date=to_day)}
    return [d for i in range(days) if (d := from_day + dt.timedelta(days=i)) not in have]

"""`complaint-ops calendar fill|override|show|check`: the business calendar deadlines run on (POLICY §1).

`fill` defaults to 2019-01-01 .. Dec 31 of the last year whose official CN schedule (make-up days 调休)
the installed `holidays` package knows (Dec 31 of next year for rule-only countries): a later year
would be a guess, so it needs `--allow-estimated` plus the published notice entered as overrides.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import sys

from complaint_ops import business_calendar as bc
from complaint_ops import db, orders, settings
from complaint_ops.cli import CommandError
from complaint_ops.cli._common import emit, engine_for, parse_date

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Grid cell marks: [dd] = not a working day; H holiday, M make-up working day 调休, O company override.
MARKS = {"holiday": "H", "makeup": "M", "override": "O"}


def register(sub) -> None:
    p = sub.add_parser("calendar", help="business calendar: working days, holidays, make-up days")
    csub = p.add_subparsers(dest="calendar_command", required=True)

    fill = csub.add_parser("fill", help="(re)build the business calendar over a date range")
    fill.add_argument("--from", dest="start", type=parse_date, help=f"first date (default {bc.DEFAULT_FILL_START})")
    fill.add_argument("--to", dest="end", type=parse_date,
                      help="last date (default: Dec 31 of the last officially published year)")
    fill.add_argument("--allow-estimated", action="store_true",
                      help="allow years whose official schedule is not published yet (then add overrides)")
    fill.set_defaults(func=_fill)

    ov = csub.add_parser("override", help="mark a date working or off for the company (wins over holidays)")
    ov.add_argument("day", type=parse_date)
    what = ov.add_mutually_exclusive_group(required=True)
    what.add_argument("--working", dest="action", action="store_const", const="working")
    what.add_argument("--off", dest="action", action="store_const", const="off")
    what.add_argument("--remove", dest="action", action="store_const", const="remove")
    ov.add_argument("--reason", help="why (kept with the override)")
    ov.set_defaults(func=_override)

    show = csub.add_parser("show", help="print a month grid (YYYY-MM) or the days of --from..--to")
    show.add_argument("month", nargs="?", help="YYYY-MM")
    show.add_argument("--from", dest="start", type=parse_date)
    show.add_argument("--to", dest="end", type=parse_date)
    show.add_argument("--format", choices=("grid", "table", "csv", "json"),
                      help="grid for a month, table for a range by default; json = [{date, working}]")
    show.set_defaults(func=_show)

    check = csub.add_parser("check", help="exit 1 when the next N days are not in the calendar")
    check.add_argument("--days", type=int, default=90, help="how many days from today must be covered (90)")
    check.add_argument("--today", type=parse_date, help="default: the local date in the business zone")
    check.set_defaults(func=_check)


def _fill(args) -> int:
    cfg = settings.calendar_settings()
    start = args.start or bc.DEFAULT_FILL_START
    end = args.end or bc.default_fill_end(cfg.country, _today())
    if start > end:
        raise CommandError(f"--from {start} is after --to {end}")
    with db.transaction(engine_for(args)) as conn:
        count = bc.fill(conn, start, end, cfg.country, cfg.subdivision, allow_estimated=args.allow_estimated)
        stored = bc.meta(conn)
    last = bc.schedule_last_year(cfg.country)
    print(f"business calendar {cfg.country}: {count} days {stored.first_day}..{stored.last_day}")
    if last is not None and stored.last_day.year > last:
        print(f"warning: dates after {last}-12-31 are estimated (no official schedule yet): enter the notice "
              "with `complaint-ops calendar override`", file=sys.stderr)
    return 0


def _override(args) -> int:
    with db.transaction(engine_for(args)) as conn:
        if args.action == "remove":
            if not bc.remove_override(conn, args.day):
                print(f"no override on {args.day}")
                return 0
            print(f"override on {args.day} removed")
        else:
            refilled = bc.set_override(conn, args.day, args.action == "working", args.reason)
            print(f"{args.day} is {'a working day' if args.action == 'working' else 'off'} for the company"
                  + ("" if refilled else " (outside the filled range: applied by the next fill)"))
        # Deadlines depend on the calendar: every complaint's orders are derived again by the next run.
        queued = orders.enqueue_all(conn, dt.datetime.now(dt.timezone.utc))
        print(f"{queued} complaints queued: their deadlines are derived again by the next run; "
              "re-run the affected business dates to correct the ledger")
    return 0


def _show(args) -> int:
    if args.month:
        if args.start or args.end:
            raise CommandError("give a month or --from/--to, not both")
        if not re.fullmatch(r"\d{4}-\d{2}", args.month) or not 1 <= int(args.month[5:]) <= 12:
            raise CommandError(f"{args.month!r} is not a month (YYYY-MM)")
        year, month = int(args.month[:4]), int(args.month[5:])
        start = dt.date(year, month, 1)
        end = dt.date(year, month, calendar.monthrange(year, month)[1])
    elif args.start and args.end:
        start, end = args.start, args.end
    else:
        raise CommandError("give a month (YYYY-MM) or both --from and --to")
    if start > end:
        raise CommandError(f"--from {start} is after --to {end}")
    with engine_for(args).connect() as conn:
        days = bc.stored_days(conn, start, end)
    fmt = args.format or ("grid" if args.month else "table")
    if fmt == "grid":
        print_grid(days)
    elif fmt == "json":
        emit([{"date": d.day, "working": d.working} for d in days], "json", ("date", "working"))
    else:
        rows = [{"date": d.day, "weekday": WEEKDAYS[d.day.weekday()], "working": "yes" if d.working else "no",
                 "source": d.source, "holiday": d.holiday_name} for d in days]
        emit(rows, fmt, ("date", "weekday", "working", "source", "holiday"))
    return 0


def print_grid(days: list[bc.BusinessDay], out=None) -> None:
    """A Monday-first grid; non-working days in brackets, then the notable days with their names."""
    out = out or sys.stdout
    first = days[0].day
    out.write(f"{first:%Y-%m} ({days[0].day} .. {days[-1].day})\n")
    out.write(" ".join(f"{w:>5}" for w in WEEKDAYS) + "\n")
    cells = ["     "] * first.weekday()
    for d in days:
        num = f"[{d.day.day:2d}]" if not d.working else f" {d.day.day:2d} "
        cells.append(num + MARKS.get(d.source, " "))
    for i in range(0, len(cells), 7):
        out.write(" ".join(cells[i : i + 7]).rstrip() + "\n")
    out.write("[dd] not a working day   H holiday   M make-up working day 调休   O company override\n")
    notable = [d for d in days if d.source in MARKS]
    for d in notable:
        kind = {"holiday": "holiday", "makeup": "make-up working day", "override": "override"}[d.source]
        state = "working" if d.working else "off"
        out.write(f"  {d.day} {WEEKDAYS[d.day.weekday()]}  {state:<7}  {kind}"
                  + (f"  {d.holiday_name}" if d.holiday_name else "") + "\n")
    out.write(f"working days: {sum(d.working for d in days)} of {len(days)}\n")


def _check(args) -> int:
    today = args.today or _today()
    with engine_for(args).connect() as conn:
        gaps = bc.coverage_gaps(conn, today, args.days)
        stored = bc.meta(conn)
    if not gaps:
        print(f"business calendar covers the next {args.days} days from {today} (filled through {stored.last_day})")
        return 0
    fix = f"run `complaint-ops calendar fill --to {dt.date(gaps[-1].year, 12, 31)}`"
    last = bc.schedule_last_year(settings.calendar_settings().country)
    if last is not None and gaps[-1].year > last:
        fix += (f" after upgrading `holidays` (its official schedule ends with {last}), or with --allow-estimated"
                " and the published notice entered via `calendar override`")
    print(f"warning: the business calendar does not cover {_ranges(gaps)} ({len(gaps)} of the next "
          f"{args.days} days from {today}): {fix}", file=sys.stderr)
    return 1


def _today() -> dt.date:
    """Wall clock only at the CLI edge: the local date in the business zone."""
    return dt.datetime.now(settings.business_timezone()).date()


def _ranges(days: list[dt.date]) -> str:
    """2027-01-01..2027-02-20, 2027-03-01: consecutive dates collapsed."""
    parts, begin = [], days[0]
    for prev, cur in zip(days, days[1:] + [None]):
        if cur is None or (cur - prev).days != 1:
            parts.append(str(begin) if begin == prev else f"{begin}..{prev}")
            begin = cur
    return ", ".join(parts)

"""The reliability tests' world (issue 8): a small company whose complaints cover every kind of posting,
fresh databases cut from a template, the changes a user can make, and what "correct" means.

Why a template: every Hypothesis example needs its own database with the schema, the calendar and the
company in it; PostgreSQL copies a database (`CREATE DATABASE .. TEMPLATE`) and SQLite a file in tens of
milliseconds, which is what lets a state machine run many examples inside CI's budget.

Correctness is judged two ways, both over the *final* data (the intake log replayed):
- a twin database: the same inputs, every date of the window run once, in order, without faults —
  the faulty history must end with the same active ledger, the same net per (party, rule) and every
  message the twin would send;
- a plain-Python O1 computation read off POLICY.md §1 and §3 (working days, deadlines, breach and
  daily accrual) for the stage orders of internal complaints, independent of the engine's SQL.
"""

from __future__ import annotations

import datetime as dt
import queue
import shutil
import threading
import uuid
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import text

from complaint_ops import business_calendar, daily, db, intake
from tests.factories import NOW, complaint, event, org

TZ = ZoneInfo("Asia/Shanghai")
UTC = dt.timezone.utc
FIRST, LAST = dt.date(2026, 2, 26), dt.date(2026, 3, 10)
WINDOW = [FIRST + dt.timedelta(days=i) for i in range((LAST - FIRST).days + 1)]
# POLICY.md §1: Monday-Friday, and Sat 2026-02-28 is a make-up working day (调休); no holiday in the window.
WORKING = frozenset(d for d in WINDOW if d.weekday() < 5) | {dt.date(2026, 2, 28)}
# Times a change may use: three per date of the window (office hours, and the first minute of the day).
TIMES = [dt.datetime.combine(d, t, tzinfo=TZ) for d in WINDOW for t in (dt.time(0, 0), dt.time(9, 30), dt.time(15, 0))]
D = Decimal


def internal(cid: str, received: str, **kw) -> dict:
    return complaint(cid, kind="internal", filer_id="HEAD_CS", handler_id="SEC", customer_id=None,
                     received_at=received, **kw)


def initial_complaints() -> list[dict]:
    """Five complaints whose clean run posts O1 (breaches and accruals, stage and follow-up orders),
    P1/P5 (light and medium, individual and supervisor), a P10 proposal, an F5 complaint, A1 alerts."""
    return [
        internal("A", "2026-02-26T10:00:00+08:00", category="contract"),  # I1 never answered, I2/I3 late
        internal("B", "2026-03-03T10:00:00+08:00", category="transport", upheld=True,
                 decided_at="2026-03-05T10:00:00+08:00"),
        complaint("C", received_at="2026-02-27T10:00:00+08:00", customer_id="K2", target_staff_id="ACC1",
                  bad_attitude=True, upheld=True, decided_at="2026-03-04T10:00:00+08:00"),
        complaint("D", received_at="2026-03-02T09:00:00+08:00", customer_id="K3", category="product_quality"),
        complaint("E", received_at="2026-02-26T10:00:00+08:00", upheld=False, decided_at="2026-02-26T15:00:00+08:00",
                  category="other", major=True),  # A1 alerts
    ]


def initial_events() -> list[dict]:
    return [
        event("a-f", "A", None, "2026-02-26T11:00:00+08:00", event_type="forwarded"),
        event("a-i2", "A", "I2", "2026-03-02T09:00:00+08:00"),
        event("a-i3", "A", "I3", "2026-03-04T15:00:00+08:00"),
        event("b-f", "B", None, "2026-03-03T11:00:00+08:00", event_type="forwarded"),
        event("b-i1", "B", "I1", "2026-03-04T10:00:00+08:00"),
        event("c-e1", "C", "E1", "2026-02-27T15:00:00+08:00"),
        event("c-e2", "C", "E2", "2026-03-03T10:00:00+08:00"),
        event("d-e1", "D", "E1", "2026-03-02T15:00:00+08:00"),
        event("d-e2", "D", "E2", "2026-03-03T09:00:00+08:00"),
        event("d-e3", "D", "E3", "2026-03-03T16:00:00+08:00"),  # E4 due 03-04 16:00, never done: F5
        *[event(f"e-e{i}", "E", f"E{i}", f"2026-02-26T1{i}:00:00+08:00") for i in (1, 2, 3, 4)],
    ]


def load(engine, records: list[dict]) -> intake.ImportReport:
    return intake.import_records(engine, records, "reliability", now=NOW)


# --- fresh databases -------------------------------------------------------------------------------


class Templates:
    """One migrated database per kind holding the calendar, the company and the initial complaints;
    `fresh()` copies it for an example, `drop()` removes a copy.

    PostgreSQL forces a checkpoint for every DROP DATABASE (about a second on a busy disk), so copies
    are dropped by a background thread while the tests go on; `close()` waits for it."""

    def __init__(self, kind: str, tmp: Path, pg_admin_url: str | None = None, make_pg=None):
        self.kind, self.tmp, self.admin_url = kind, tmp, pg_admin_url
        if kind == "sqlite":
            self.template = tmp / "template.db"
            url = f"sqlite:///{self.template}"
        else:
            url = make_pg()
            self.template = url.rsplit("/", 1)[1]
            self.admin = db.make_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
            self._doomed: queue.Queue[str | None] = queue.Queue()
            self._dropper = threading.Thread(target=self._drop_in_background, daemon=True)
            self._dropper.start()
        engine = db.make_engine(url)
        db.upgrade(engine)
        with engine.begin() as conn:
            business_calendar.fill(conn, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
        for batch in (org(), initial_complaints(), initial_events()):
            report = load(engine, batch)
            assert report.ok, report.rejected
        with engine.connect() as conn:  # the reference's calendar is POLICY.md's: the engine must agree
            cal = business_calendar.load(conn)
            assert {d for d in WINDOW if cal.is_working(d)} == WORKING
        engine.dispose()
        self.made: set[str] = set()

    def fresh(self, source: str | None = None) -> tuple[str, str]:
        """(url, name) of a new copy of the template, or of `source` (a copy made earlier, no longer in use)."""
        name = f"co_rel_{uuid.uuid4().hex[:12]}"
        if self.kind == "sqlite":
            path = self.tmp / f"{name}.db"
            shutil.copyfile(self.tmp / f"{source}.db" if source else self.template, path)
            return f"sqlite:///{path}", name
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source or self.template}"'))
        self.made.add(name)
        return self.admin_url.rsplit("/", 1)[0] + "/" + name, name

    def drop(self, name: str) -> None:
        if self.kind == "sqlite":
            for suffix in (".db", ".db-wal", ".db-shm"):
                (self.tmp / f"{name}{suffix}").unlink(missing_ok=True)
            return
        self.made.discard(name)
        self._doomed.put(name)

    def _drop_in_background(self) -> None:
        while (name := self._doomed.get()) is not None:
            try:
                with self.admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            except Exception:  # tried again, in the open, by close()
                self.made.add(name)

    def close(self) -> None:
        if self.kind == "sqlite":
            return
        self._doomed.put(None)
        self._dropper.join()
        with self.admin.connect() as conn:
            for name in sorted(self.made):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


def run_clean(engine, days=WINDOW) -> None:
    for day in days:
        daily.run_day(engine, day, now=NOW, mail="send")


# --- the plain reference: O1 from POLICY.md ----------------------------------------------------------

OVERDUE_WD = {"I1": 1, "I2": 1, "I3": 2}  # POLICY.md §3, internal stages
BREACH = DAILY = D("50.00")  # POLICY.md §3 O1


def _working_after(day: dt.date, n: int) -> dt.date:
    while n:
        day += dt.timedelta(days=1)
        if day in WORKING or (day > LAST and day.weekday() < 5):
            n -= 1
    return day


def deadline(start: dt.datetime, n: int) -> dt.datetime:
    """POLICY.md §1 "N WD after t": the same clock time on the Nth working day after t's date; a start on
    a non-working day counts as 00:00 of the next working day."""
    local = start.astimezone(TZ)
    if local.date() not in WORKING:
        first = _working_after(local.date(), 1)
        local = dt.datetime.combine(first, dt.time(0), tzinfo=TZ)
    return dt.datetime.combine(_working_after(local.date(), n), local.timetz())


def o1_reference(engine) -> dict[tuple[str, str], Decimal]:
    """O1 fines per (order, business date) of internal complaints' stage orders over the window,
    from the final complaints and events only (POLICY.md §3 O1): the breach on the deadline's working
    day when the order was not done by then, then 50 per further working day ending with it open; an
    order stops when done or when its complaint is closed (I3 done, or withdrawn)."""
    with engine.connect() as conn:
        complaints = conn.execute(text(
            "SELECT id, received_at FROM complaints WHERE kind = 'internal'")).all()
        events = conn.execute(text(
            "SELECT complaint_id, event_type, stage, occurred_at FROM events ORDER BY occurred_at")).all()
    first: dict[tuple[str, str], dt.datetime] = {}
    for cid, etype, stage, at in events:
        first.setdefault((cid, stage if etype == "stage_done" else etype), db.as_utc(at))
    out: dict[tuple[str, str], Decimal] = {}
    for cid, received in complaints:
        closed = min((t for t in (first.get((cid, "I3")), first.get((cid, "withdrawn"))) if t), default=None)
        for stage, n in OVERDUE_WD.items():
            start = first.get((cid, "forwarded")) if stage == "I1" else db.as_utc(received)
            if start is None:
                continue
            due = deadline(start, n)
            stop = min((t for t in (first.get((cid, stage)), closed) if t), default=None)
            for day in sorted(WORKING):
                end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=TZ)
                if day == due.date() and (stop is None or stop > due):
                    out[(f"{cid}:{stage}", str(day))] = BREACH
                elif day > due.date() and (stop is None or stop >= end):
                    out[(f"{cid}:{stage}", str(day))] = DAILY
    return out


def internal_ids(engine) -> set[str]:
    with engine.connect() as conn:
        return {r[0] for r in conn.execute(text("SELECT id FROM complaints WHERE kind = 'internal'"))}

"""What the mail says, to whom, and when (POLICY.md §8: D1-D4, A1).

- Scheduling (`schedule`): D1 on every working day; D2 (客户月投诉统计表) and D3 (客户回访记录) on the first
  working day of a month, for the previous month; D4 (half-year review) on the first working day of June
  and December when it falls within the first `half_year_within_days` days, for the six months before.
  All from the business calendar and the policy's `reports` section in force on the date.
- Recipients and scope: a department head sees the departments they manage; the general manager sees
  the whole company and, in D1, the penalties waiting for approval. D1 goes to every manager with
  anything to report and to the general manager on every working day; D2 and D4 to the leadership
  (general manager, company manager: whole company) and the department heads (their department); D3 to
  the leadership; A1 to the manager of the complaint's department and the leadership.
- Content is "as of the end of the period": event timestamps, ledger business dates, orders' due/done/stop
  times, never the clock, so a run for a past date says what the run on that date said (given the same
  facts). Each report reads its period through indexed queries (by date, by order, by complaint): the
  cost follows the period's data, not the history.
- `load_*` read (SQL files `sql/queries/digest_*.sql`); `*_view` are pure functions from that data, an
  organisation and a scope to a view model (plain dicts: codes, not words — the templates translate);
  `queue_for_day` renders (`mail.render`) and queues (`mail.enqueue`) in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from complaint_ops import business_calendar, db, facts, mail, penalties, settings
from complaint_ops.business_calendar import WorkCalendar, day_end
from complaint_ops.errors import CalendarRangeError
from complaint_ops.policy import PolicyBook, Reports, load_policy

log = logging.getLogger(__name__)

KINDS = mail.KINDS
LEADERSHIP_ROLES = ("general_manager", "company_manager")
APPROVER_ROLES = ("general_manager",)
STAGE_RULES = ("I1", "I2", "I3", "E1", "E2", "E3", "E4")
CATEGORIES = ("product_quality", "contract", "transport", "service", "other")
CHANNELS = ("written", "phone", "fax", "email", "visit", "other")
SEVERITY_CLASSES = ("severe", "medium", "light", "not_upheld", "undecided", "duplicate")
ZERO = Decimal("0.00")
CHUNK = 500  # ids per IN (...) list
COUNTERS = ("already_queued", "released", "without_address", "refused")  # besides the kinds, in queue_for_day's result
COLORS = {"internal": "#8faadc", "external": "#1f4e79", "rate": "#2e75b6", "fine": "#c55a11"}


# --- scheduling ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scheduled:
    kind: str
    period: str
    first: dt.date
    last: dt.date


def first_working_day(calendar: WorkCalendar, first: dt.date, last: dt.date) -> dt.date | None:
    day = max(first, calendar.first_day)
    while day <= min(last, calendar.last_day):
        if calendar.is_working(day):
            return day
        day += dt.timedelta(days=1)
    return None


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return dt.date(day.year + month // 12, month % 12 + 1, 1)


def previous_month(day: dt.date) -> tuple[dt.date, dt.date]:
    first_of_this = day.replace(day=1)
    return add_months(first_of_this, -1), first_of_this - dt.timedelta(days=1)


def previous_half_year(day: dt.date) -> tuple[dt.date, dt.date]:
    """The six whole months before `day`'s month (June -> December..May, December -> June..November)."""
    first_of_this = day.replace(day=1)
    return add_months(first_of_this, -6), first_of_this - dt.timedelta(days=1)


def period_of(kind: str, day: dt.date) -> Scheduled:
    """The period a report of `kind` sent on `day` covers (whether or not it is scheduled that day)."""
    if kind == "D1":
        return Scheduled(kind, day.isoformat(), day, day)
    if kind in ("D2", "D3"):
        first, last = previous_month(day)
        return Scheduled(kind, f"{first:%Y-%m}", first, last)
    if kind == "D4":
        first, last = previous_half_year(day)
        return Scheduled(kind, f"{first:%Y-%m}..{last:%Y-%m}", first, last)
    raise ValueError(f"{kind} has no period of its own (alerts are keyed by their alert)")


def schedule(calendar: WorkCalendar, day: dt.date, reports: Reports) -> list[Scheduled]:
    """The reports due on business date `day` (A1 alerts are not scheduled: they follow the alerts)."""
    out = []
    if calendar.is_working(day):
        out.append(period_of("D1", day))
    month_start = day.replace(day=1)
    if reports.monthly_on_first_working_day:
        monthly = first_working_day(calendar, month_start, day) == day
    else:
        monthly = day.day == 1
    if monthly:
        out += [period_of("D2", day), period_of("D3", day)]
    if day.month in reports.half_year_months:
        window_end = month_start + dt.timedelta(days=reports.half_year_within_days - 1)
        if day <= window_end and first_working_day(calendar, month_start, window_end) == day:
            out.append(period_of("D4", day))
    return out


def horizon(calendar: WorkCalendar, day: dt.date, working_days: int) -> dt.date:
    """The `working_days`-th working day after `day` (the calendar's end if it stops earlier)."""
    probe = day
    for _ in range(working_days):
        try:
            probe = calendar.next_working_day(probe)
        except CalendarRangeError:
            return calendar.last_day
    return probe


# --- organisation and scope ----------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What a recipient sees: some departments, or the whole company (departments=None)."""

    departments: frozenset[str] | None = None

    @property
    def whole(self) -> bool:
        return self.departments is None

    def covers(self, department_id: str | None) -> bool:
        return self.departments is None or department_id in self.departments


WHOLE = Scope(None)


class Org:
    """Departments, staff and teams as they are now (small tables, read whole once per run)."""

    def __init__(self, departments: Iterable[dict], staff: Iterable[dict], teams: Iterable[dict]):
        self.departments = {d["id"]: d for d in departments}
        self.staff = {s["id"]: s for s in staff}
        self.teams = {t["id"]: t for t in teams}
        self._managed: dict[str, set[str]] = defaultdict(set)
        for d in self.departments.values():
            if d["manager_id"]:
                self._managed[d["manager_id"]].add(d["id"])

    @classmethod
    def load(cls, conn) -> Org:
        return cls(db.fetch(conn, "digest_departments"), db.fetch(conn, "digest_staff"), db.fetch(conn, "digest_teams"))

    def dept(self, department_id: str | None) -> dict | None:
        d = self.departments.get(department_id) if department_id else None
        return None if d is None else {"id": d["id"], "name": d["name"], "name_en": d["name_en"]}

    def name(self, staff_id: str | None) -> str | None:
        s = self.staff.get(staff_id) if staff_id else None
        return s["name"] if s else staff_id

    def staff_department(self, staff_id: str | None) -> str | None:
        s = self.staff.get(staff_id) if staff_id else None
        return s["department_id"] if s else None

    def party(self, staff_id: str | None, team_id: str | None) -> str:
        if staff_id:
            return self.name(staff_id) or staff_id
        t = self.teams.get(team_id)
        return t["name"] if t else (team_id or "")

    def managed(self, staff_id: str) -> frozenset[str]:
        return frozenset(self._managed.get(staff_id, ()))

    def active(self, staff_id: str) -> dict | None:
        s = self.staff.get(staff_id)
        return s if s and s["active"] else None

    def leadership(self) -> list[dict]:
        return [s for s in self.staff.values() if s["active"] and s["role"] in LEADERSHIP_ROLES]

    def managers(self) -> list[dict]:
        return [s for sid in sorted(self._managed) if (s := self.active(sid))]

    def recipient(self, staff: Mapping) -> dict:
        return {"id": staff["id"], "name": staff["name"], "role": staff["role"], "language": staff["language"]}

    def scope_for(self, staff: Mapping) -> Scope:
        """Leadership: the company; a manager: their departments; anyone else: their own department."""
        if staff["role"] in LEADERSHIP_ROLES:
            return WHOLE
        managed = self.managed(staff["id"])
        return Scope(managed or frozenset({staff["department_id"]}))

    def scope_departments(self, scope: Scope) -> list[dict]:
        ids = sorted(self.departments) if scope.whole else sorted(scope.departments)
        return [self.dept(i) for i in ids if i in self.departments]


def recipients(org: Org, kind: str, department_id: str | None = None) -> list[tuple[dict, Scope]]:
    """Who gets a report of `kind` and what each sees (A1: about a complaint against `department_id`)."""
    out: dict[str, tuple[dict, Scope]] = {}
    leaders = org.leadership()
    if kind == "D1":
        for s in org.managers():
            out[s["id"]] = (s, org.scope_for(s))
        for s in leaders:
            if s["role"] in APPROVER_ROLES:
                out[s["id"]] = (s, WHOLE)
    elif kind in ("D2", "D4"):
        for s in org.managers() + leaders:
            out[s["id"]] = (s, org.scope_for(s))
    elif kind == "D3":
        for s in leaders:
            out[s["id"]] = (s, WHOLE)
    elif kind == "A1":
        manager = org.departments.get(department_id, {}).get("manager_id") if department_id else None
        if manager and (s := org.active(manager)):
            out[s["id"]] = (s, org.scope_for(s))
        for s in leaders:
            out[s["id"]] = (s, WHOLE)
    else:
        raise ValueError(kind)
    return [out[k] for k in sorted(out)]


def _chunks(values: list, size: int = CHUNK) -> Iterable[list]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _share(part: int | Decimal, whole: int | Decimal) -> float | None:
    return None if not whole else float(part) / float(whole)


def _customer(row: Mapping) -> dict | None:
    if not row.get("customer_id"):
        return None
    return {"name": row.get("customer_name") or row["customer_id"], "phone": mail.mask_phone(row.get("customer_phone"))}


# --- D1 daily digest -----------------------------------------------------------------------------


def load_day(conn, day: dt.date, calendar: WorkCalendar, tz: ZoneInfo, lookahead_wd: int) -> dict:
    """Everything D1 needs for business date `day`, as of the end of that day."""
    prev = calendar.previous_working_day(day)
    end = day_end(day, tz)
    until = horizon(calendar, day, lookahead_wd)
    overdue = db.fetch(conn, "digest_overdue_orders", day=day, day_end_at=end)
    fines: dict[str, dict] = {}
    if overdue:
        for chunk in _chunks(overdue):
            for r in db.fetch(conn, "digest_order_fines", record_ids=sorted({o["complaint_id"] for o in chunk}),
                              order_keys=[o["order_key"] for o in chunk], day=day):
                fines[r["order_key"]] = r
    for o in overdue:
        o["days"] = calendar.ordinal(day) - calendar.ordinal(o["due_date"]) + 1
        o["fine_total"] = fines.get(o["order_key"], {}).get("fine_amount") or ZERO
        o["fine_today"] = fines.get(o["order_key"], {}).get("fine_today") or ZERO
        o["open"] = o["stop_at"] is None or o["stop_at"] >= end
    due = db.fetch(conn, "digest_due_soon", day=day, horizon_date=until, day_end_at=end)
    for o in due:
        o["wd_left"] = calendar.ordinal(o["due_date"]) - calendar.ordinal(day)
    return {
        "day": day, "prev_day": prev, "end": end, "horizon": until, "lookahead_wd": lookahead_wd,
        "new": db.fetch(conn, "digest_new_complaints", prev_date=prev, day=day),
        "overdue": overdue,
        "ledger": db.fetch(conn, "digest_day_ledger", day=day),
        "due": due,
    }


def waiting_approvals(conn, day: dt.date, end: dt.datetime, calendar: WorkCalendar) -> list[dict]:
    """Penalties waiting for the general manager at the end of `day` (P9, P10): proposed by then and not
    decided before the day ended; proposals the facts no longer call for (superseded) are left out."""
    from complaint_ops import approvals  # approvals imports the daily run, which may import this module

    out = []
    for p in approvals.listing(conn, "all", waiting_at=(day, end)):
        if p["status"] == "superseded":
            continue
        try:
            waiting = calendar.working_days_between(p["business_date"], day)
        except CalendarRangeError:
            waiting = None
        out.append({"id": p["id"], "complaint_id": p["complaint_id"], "rule": p["rule"], "kind": p["kind"],
                    "party": p["party_name"] or p["party"], "fine": db.money(p["fine_amount"]),
                    "points": int(p["points"]), "multiplier": int(p["multiplier"]), "reason": p["reason"],
                    "proposed_on": p["business_date"], "waiting_wd": waiting})
    return out


DIGEST_ROWS = 100  # rows per list in a D1 digest; the counts, totals and CLI cover the rest


def daily_view(data: Mapping, org: Org, scope: Scope, recipient: Mapping,
               approvals: list[dict] | None = None) -> dict:
    """D1 for one recipient: their departments' new complaints (by the complaint's department), overdue
    orders, follow-ups due soon (by the owner's department) and penalties posted (by who pays)."""

    def owner_dept(row):
        return org.staff_department(row["owner_id"]) or row["target_department_id"]

    new = [{
        "id": c["id"], "received_at": c["received_at"], "kind": c["kind"], "category": c["category"],
        "channel": c["channel"], "department": org.dept(c["target_department_id"]), "customer": _customer(c),
        "filer": org.name(c["filer_id"]), "summary": c["summary"], "major": bool(c["major"]),
        "duplicate_of": c["duplicate_of"], "second_round_of": c["second_round_of"], "origin": c["origin"],
    } for c in data["new"] if scope.covers(c["target_department_id"])]
    overdue = [{
        "order_key": o["order_key"], "complaint_id": o["complaint_id"], "rule": o["rule"], "order_kind": o["kind"],
        "owner": org.name(o["owner_id"]) or "—", "owner_department": org.dept(owner_dept(o)), "due_at": o["due_at"],
        "days": o["days"], "fine_today": o["fine_today"], "fine_total": o["fine_total"], "open": o["open"],
        "done_at": o["done_at"],
    } for o in data["overdue"] if scope.covers(owner_dept(o))]
    posted = [{
        "rule": e["rule"], "kind": e["kind"], "entry_type": e["entry_type"], "party": org.party(e["staff_id"], e["team_id"]),
        "party_department": org.dept(e["party_department_id"]), "complaint_id": e["complaint_id"],
        "order_key": e["order_key"], "fine": db.money(e["fine_amount"]), "points": int(e["points"]),
        "multiplier": int(e["multiplier"]),
    } for e in data["ledger"] if scope.covers(e["party_department_id"])]
    due = [{
        "order_key": o["order_key"], "complaint_id": o["complaint_id"], "rule": o["rule"], "order_kind": o["kind"],
        "sequence": o["sequence"], "owner": org.name(o["owner_id"]) or "—", "owner_department": org.dept(owner_dept(o)),
        "due_at": o["due_at"], "wd_left": o["wd_left"], "customer": _customer(o),
    } for o in data["due"] if scope.covers(owner_dept(o))]
    fines = [p for p in posted if p["kind"] != "loss_recovery"]
    by_department: dict[str, list[dict]] = defaultdict(list)
    for o in overdue:
        by_department[(o["owner_department"] or {}).get("id")].append(o)
    overdue_by_department = sorted(({
        "department": org.dept(d), "orders": len(rows), "fine_today": sum((o["fine_today"] for o in rows), ZERO),
        "fine_total": sum((o["fine_total"] for o in rows), ZERO), "max_days": max(o["days"] for o in rows),
    } for d, rows in by_department.items()), key=lambda r: (-r["fine_total"], -r["orders"]))
    view = {
        "kind": "D1", "day": data["day"], "period_from": data["prev_day"] + dt.timedelta(days=1), "horizon": data["horizon"],
        "lookahead_wd": data["lookahead_wd"], "recipient": dict(recipient), "scope_whole": scope.whole,
        "departments": org.scope_departments(scope),
        "new_complaints": new, "overdue": overdue, "overdue_by_department": overdue_by_department,
        "penalties": posted, "due_soon": due,
        "approvals": approvals,
        "totals": {
            "overdue_fine_today": sum((o["fine_today"] for o in overdue), ZERO),
            "overdue_fine_total": sum((o["fine_total"] for o in overdue), ZERO),
            "fine": sum((p["fine"] for p in fines), ZERO),
            "loss_recovery": sum((p["fine"] for p in posted if p["kind"] == "loss_recovery"), ZERO),
            "points": sum(p["points"] for p in posted),
            "approvals_fine": sum((a["fine"] for a in approvals or [] if a["kind"] != "loss_recovery"), ZERO),
            "approvals_loss_recovery": sum((a["fine"] for a in approvals or [] if a["kind"] == "loss_recovery"), ZERO),
            "approvals_points": sum(a["points"] for a in approvals or []),
        },
    }
    view["kpi"] = {"new": len(new), "major": sum(c["major"] for c in new), "overdue": len(overdue),
                   "fine": view["totals"]["fine"], "due_soon": len(due), "penalties": len(posted),
                   "approvals": None if approvals is None else len(approvals)}
    # Counts and totals cover everything; each list shows its first DIGEST_ROWS rows (majors first,
    # longest overdue first) and says how many more there are: a digest must stay readable, and small.
    if len(new) > DIGEST_ROWS:
        view["new_complaints"] = sorted(new, key=lambda c: not c["major"])
    return _capped(view, ("new_complaints", "overdue", "penalties", "due_soon"))


def has_news(view: Mapping) -> bool:
    return bool(view["new_complaints"] or view["overdue"] or view["penalties"] or view["due_soon"] or view["approvals"])


# --- periods: D2, D3, D4 -------------------------------------------------------------------------


def load_period(conn, first: dt.date, last: dt.date, tz: ZoneInfo, book: PolicyBook) -> dict:
    """Complaints received, orders due and the ledger of [first, last], each as of the period's end."""
    end = day_end(last, tz)
    complaints = db.fetch(conn, "digest_period_complaints", first_date=first, last_date=last)
    ids = [c["id"] for c in complaints]
    by_id = {c["id"]: c for c in complaints}
    for chunk in _chunks(ids):  # R1/R2 of a chunk in one statement, not two per complaint
        rows = {r["id"]: r for r in facts.rows(conn, chunk, day_end_at=end, prev_end_at=end)}
        counts = facts.Counts(conn)
        counts.prefetch(rows.values(), lambda r: book.in_force(r["decided_now_date"]) if r["outcome_now"] == "upheld"
                        else None)
        for cid in chunk:
            by_id[cid]["severity_class"] = _severity_class(conn, by_id[cid], rows.get(cid), book, counts)
    orders = db.fetch(conn, "digest_period_orders", first_date=first, last_date=last)
    events: dict[str, dict] = {}
    keys = [o["order_key"] for o in orders if o["kind"] != "stage"]
    for chunk in _chunks(keys):
        for e in db.fetch(conn, "digest_order_events", order_keys=chunk):
            events.setdefault(e["order_key"], e)
    for o in orders:
        o["status"] = _status(o, end)
        event = events.get(o["order_key"])
        o["event"] = event if event is not None and event["occurred_at"] < end else None
    return {"first": first, "last": last, "end": end, "complaints": complaints, "orders": orders,
            "ledger": db.fetch(conn, "digest_period_ledger", first_date=first, last_date=last)}


def _severity_class(conn, complaint: dict, row: dict | None, book: PolicyBook, counts: facts.Counts | None = None) -> str:
    """severe | medium | light for upheld complaints (P1/P2 as the policy of the decision date reads the
    facts), else not_upheld, undecided (no decision by the period's end) or duplicate (R1)."""
    if row is None or row["outcome_now"] is None:
        return "undecided"
    if row["outcome_now"] != "upheld":
        return "not_upheld"
    if facts.duplicate_of(conn, row, counts):
        return "duplicate"
    decided = row["decided_now_date"]
    return penalties.severity(facts.penalty_facts(conn, row, book, decided, counts=counts), book.in_force(decided))


def _status(order: Mapping, end: dt.datetime) -> str:
    """on_time | late | open, as of `end` (done after the period's end = still open then)."""
    done = order["done_at"]
    if done is None or done >= end:
        return "open"
    return "on_time" if done <= order["due_at"] else "late"


def _owner_dept(org: Org, row: Mapping) -> str | None:
    return org.staff_department(row["owner_id"]) or row["target_department_id"]


def _count_table(rows: list[dict], key: str, order: Iterable[str] | None = None) -> list[dict]:
    counts = Counter(r[key] for r in rows)
    upheld = Counter(r[key] for r in rows if r["severity_class"] in ("severe", "medium", "light"))
    if order is None:  # largest first
        keys = sorted(counts, key=lambda k: (-counts[k], str(k)))
    else:
        keys = [k for k in order if counts[k]] + sorted(k for k in counts if k not in order)
    total = len(rows)
    return [{"key": k, "count": counts[k], "upheld": upheld[k], "share": _share(counts[k], total)} for k in keys]


def _rates(orders: list[dict]) -> dict:
    c = Counter(o["status"] for o in orders)
    due = len(orders)
    return {"due": due, "on_time": c["on_time"], "late": c["late"], "open": c["open"], "rate": _share(c["on_time"], due)}


def _top_problems(org: Org, complaints: list[dict], limit: int) -> list[dict]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for c in complaints:
        if c["problem_code"]:
            groups[c["problem_code"]].append(c)
    top = sorted((g for g in groups.values() if len(g) >= 2), key=lambda g: (-len(g), g[0]["received_at"]))[:limit]
    return [{
        "problem_code": g[0]["problem_code"], "count": len(g), "customers": len({c["customer_id"] for c in g if c["customer_id"]}),
        "department": org.dept(g[0]["target_department_id"]), "category": g[0]["category"], "summary": g[0]["summary"],
        "first": g[0]["received_date"], "last": g[-1]["received_date"],
    } for g in top]


def _ledger_in(org: Org, rows: list[dict], scope: Scope) -> list[dict]:
    return [r for r in rows if scope.covers(r["party_department_id"])]


def _fines(rows: list[dict]) -> dict:
    fine = sum((db.money(r["fine_amount"]) for r in rows if r["kind"] != "loss_recovery"), ZERO)
    loss = sum((db.money(r["fine_amount"]) for r in rows if r["kind"] == "loss_recovery"), ZERO)
    return {"fine": fine, "loss_recovery": loss, "points": sum(int(r["points"]) for r in rows),
            "entries": sum(int(r["entries"]) for r in rows)}


def _fines_by(org: Org, rows: list[dict], key: str) -> list[dict]:
    groups: dict[Any, list[dict]] = defaultdict(list)
    for r in rows:
        groups[r[key]].append(r)
    out = []
    order = (lambda x: (-_fines(groups[x])["fine"], str(x))) if key == "party_department_id" else (lambda x: (x is None, str(x)))
    for k in sorted(groups, key=order):
        totals = _fines(groups[k])
        if totals["entries"] or totals["fine"] or totals["points"]:
            out.append({"key": k, "department": org.dept(k) if key == "party_department_id" else None, **totals})
    return out


def _period_common(data: Mapping, org: Org, scope: Scope, recipient: Mapping) -> dict:
    return {"first": data["first"], "last": data["last"], "recipient": dict(recipient), "scope_whole": scope.whole,
            "departments": org.scope_departments(scope)}


def monthly_view(data: Mapping, org: Org, scope: Scope, recipient: Mapping) -> dict:
    """D2 客户月投诉统计表: counts by category, department, severity and channel; on-time rate per stage;
    revisit completion; fines and points; top repeated problems [003 制度1 2(8)]."""
    complaints = [c for c in data["complaints"] if scope.covers(c["target_department_id"])]
    orders = [o for o in data["orders"] if scope.covers(_owner_dept(org, o))]
    ledger = _ledger_in(org, data["ledger"], scope)
    stages = [{"rule": r, **_rates([o for o in orders if o["rule"] == r and o["kind"] == "stage"])} for r in STAGE_RULES]
    stages = [s for s in stages if s["due"]]
    revisits = [o for o in orders if o["kind"] == "revisit"]
    days = [data["first"] + dt.timedelta(days=i) for i in range((data["last"] - data["first"]).days + 1)]
    by_day = Counter((c["received_date"], c["kind"]) for c in complaints)
    by_dept = _count_table([{**c, "dept": c["target_department_id"]} for c in complaints], "dept")
    for row in by_dept:
        row["department"] = org.dept(row["key"])
    view = {
        "kind": "D2", "month": f"{data['first']:%Y-%m}", **_period_common(data, org, scope, recipient),
        "totals": _complaint_totals(complaints),
        "by_category": _count_table(complaints, "category", CATEGORIES),
        "by_department": by_dept,
        "by_severity": _count_table([{**c, "sev": c["severity_class"]} for c in complaints], "sev", SEVERITY_CLASSES),
        "by_channel": _count_table(complaints, "channel", CHANNELS),
        "stages": stages,
        "stages_total": _rates([o for o in orders if o["kind"] == "stage"]),
        "revisits": {**_rates(revisits), **_outcomes(revisits)},
        "fines": _fines(ledger),
        "fines_by_department": _fines_by(org, ledger, "party_department_id"),
        "fines_by_rule": _fines_by(org, ledger, "rule"),
        "top_problems": _top_problems(org, complaints, 5),
        "charts": {
            "daily": {"categories": [str(d.day) for d in days], "format": "int", "width": 660, "height": 200,
                      "series": [{"values": [by_day[(d, "external")] for d in days], "color": COLORS["external"]},
                                 {"values": [by_day[(d, "internal")] for d in days], "color": COLORS["internal"]}]},
            "stages": {"categories": [s["rule"] for s in stages] or ["-"], "format": "pct", "width": 660, "height": 180,
                       "series": [{"values": [s["rate"] or 0 for s in stages] or [0], "color": COLORS["rate"]}]},
        },
    }
    return view


def _complaint_totals(complaints: list[dict]) -> dict:
    sev = Counter(c["severity_class"] for c in complaints)
    return {"received": len(complaints), "internal": sum(c["kind"] == "internal" for c in complaints),
            "external": sum(c["kind"] == "external" for c in complaints),
            "upheld": sev["severe"] + sev["medium"] + sev["light"], "not_upheld": sev["not_upheld"],
            "undecided": sev["undecided"], "duplicate": sev["duplicate"], "severe": sev["severe"],
            "major": sum(bool(c["major"]) for c in complaints),
            "second_round": sum(c["origin"] == "S2" for c in complaints)}


def _outcomes(orders: list[dict]) -> dict:
    done = [o for o in orders if o["event"] is not None]
    outcome = Counter(o["event"]["outcome"] for o in done)
    method = Counter(o["event"]["method"] for o in done)
    return {"done": len(done), "satisfied": outcome["satisfied"], "unsatisfied": outcome["unsatisfied"],
            "satisfaction": _share(outcome["satisfied"], outcome["satisfied"] + outcome["unsatisfied"]),
            "phone": method["phone"], "on_site": method["on_site"]}


def revisit_view(data: Mapping, org: Org, scope: Scope, recipient: Mapping) -> dict:
    """D3 客户回访记录 for the leadership [003 制度2 2.4]: every revisit (F1, F2, F4) and reply letter (F3)
    due in the month, how and when it was done and what the customer said; totals and per owner."""
    orders = [o for o in data["orders"] if o["kind"] in ("revisit", "reply_letter") and scope.covers(_owner_dept(org, o))]
    revisits = [o for o in orders if o["kind"] == "revisit"]
    letters = [o for o in orders if o["kind"] == "reply_letter"]
    records = []
    for o in orders:
        e = o["event"] or {}
        records.append({
            "order_key": o["order_key"], "complaint_id": o["complaint_id"], "rule": o["rule"], "order_kind": o["kind"],
            "sequence": o["sequence"], "customer": _customer(o), "department": org.dept(o["target_department_id"]),
            "owner": org.name(o["owner_id"]) or "—", "due_at": o["due_at"], "done_at": e.get("occurred_at"),
            "method": e.get("method"), "signature": e.get("signature"), "outcome": e.get("outcome"),
            "status": o["status"],
        })
    owners: dict[str, list[dict]] = defaultdict(list)
    for o in revisits:
        owners[o["owner_id"] or "-"].append(o)
    by_owner = [{"owner": org.name(k) or "—", "department": org.dept(org.staff_department(k)), **_rates(v), **_outcomes(v)}
                for k, v in sorted(owners.items(), key=lambda kv: (-len(kv[1]), kv[0]))]
    view = {
        "kind": "D3", "month": f"{data['first']:%Y-%m}", **_period_common(data, org, scope, recipient),
        "summary": {**_rates(revisits), **_outcomes(revisits), "follow_ups": sum(o["rule"] == "F4" for o in revisits)},
        "letters": _rates(letters),
        "by_owner": by_owner,
        "records": records,
        "unhappy": [r for r in records if r["outcome"] == "unsatisfied"],
    }
    return _capped(view, ("records", "unhappy"))


def _capped(view: dict, keys: Iterable[str]) -> dict:
    """Lists of a message shown up to DIGEST_ROWS rows: `counts` keeps their full length, `more` what is
    left out (a month of revisits at a thousand complaints a day would be a 10 MB mail)."""
    view.setdefault("counts", {})
    view.setdefault("more", {})
    for key in keys:
        view["counts"][key] = len(view[key])
        view["more"][key] = max(0, len(view[key]) - DIGEST_ROWS)
        view[key] = view[key][:DIGEST_ROWS]
    return view


def half_year_view(data: Mapping, org: Org, scope: Scope, recipient: Mapping) -> dict:
    """D4 half-year review [001 五]: responsibility by department, causes (categories, repeated problems,
    rules), improvements (second-round investigations, revisits) and the month-by-month trend."""
    complaints = [c for c in data["complaints"] if scope.covers(c["target_department_id"])]
    orders = [o for o in data["orders"] if scope.covers(_owner_dept(org, o))]
    ledger = _ledger_in(org, data["ledger"], scope)
    dept_ids = sorted({c["target_department_id"] for c in complaints} | {r["party_department_id"] for r in ledger
                                                                        if r["party_department_id"]}
                      | {d for o in orders if (d := _owner_dept(org, o))})
    by_department = []
    for d in dept_ids:
        if not scope.covers(d):
            continue
        mine = [c for c in complaints if c["target_department_id"] == d]
        sev = Counter(c["severity_class"] for c in mine)
        money = _fines([r for r in ledger if r["party_department_id"] == d])
        o1 = _fines([r for r in ledger if r["party_department_id"] == d and r["rule"] == "O1"])
        owned = [o for o in orders if _owner_dept(org, o) == d]
        stage_rates = _rates([o for o in owned if o["kind"] == "stage"])
        by_department.append({
            "department": org.dept(d), "received": len(mine), "upheld": sev["severe"] + sev["medium"] + sev["light"],
            "severe": sev["severe"], "medium": sev["medium"], "light": sev["light"], "fine": money["fine"],
            "points": money["points"], "overdue": sum(o["status"] != "on_time" for o in owned),
            "overdue_fine": o1["fine"], "on_time": stage_rates["rate"],
        })
    by_department.sort(key=lambda r: (-r["received"], -r["fine"], r["department"]["id"]))
    months = []
    probe = data["first"]
    while probe <= data["last"]:
        months.append(f"{probe:%Y-%m}")
        probe = add_months(probe, 1)
    per_month = Counter((f"{c['received_date']:%Y-%m}", c["kind"]) for c in complaints)
    upheld_month = Counter(f"{c['received_date']:%Y-%m}" for c in complaints if c["severity_class"] in ("severe", "medium", "light"))
    fine_month: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for r in ledger:
        if r["kind"] != "loss_recovery":
            fine_month[f"{db.as_date(r['business_date']):%Y-%m}"] += db.money(r["fine_amount"])
    second = [o for o in orders if o["kind"] == "second_round"]
    second_outcomes = Counter((o["event"] or {}).get("outcome") for o in second if o["event"])
    revisits = [o for o in orders if o["kind"] == "revisit"]
    trend = [{"month": m, "received": per_month[(m, "internal")] + per_month[(m, "external")],
              "internal": per_month[(m, "internal")], "external": per_month[(m, "external")],
              "upheld": upheld_month[m], "fine": fine_month[m]} for m in months]
    return {
        "kind": "D4", "label": f"{data['first']:%Y-%m}..{data['last']:%Y-%m}", **_period_common(data, org, scope, recipient),
        "totals": _complaint_totals(complaints),
        "fines": _fines(ledger),
        "by_department": by_department,
        "by_category": _count_table(complaints, "category", CATEGORIES),
        "by_severity": _count_table([{**c, "sev": c["severity_class"]} for c in complaints], "sev", SEVERITY_CLASSES),
        "by_rule": _fines_by(org, ledger, "rule"),
        "top_problems": _top_problems(org, complaints, 10),
        "second_round": {**_rates(second), "improved": second_outcomes["improved"],
                         "not_improved": second_outcomes["not_improved"] + second_outcomes["still_unhappy"],
                         "raised": sum(c["origin"] == "S2" for c in complaints)},
        "revisits": {**_rates(revisits), **_outcomes(revisits)},
        "stages_total": _rates([o for o in orders if o["kind"] == "stage"]),
        "trend": trend,
        "charts": {
            "monthly": {"categories": months, "format": "int", "width": 660, "height": 200,
                        "series": [{"values": [t["external"] for t in trend], "color": COLORS["external"]},
                                   {"values": [t["internal"] for t in trend], "color": COLORS["internal"]}]},
            "fines": {"categories": months, "format": "money", "width": 660, "height": 180,
                      "series": [{"values": [float(t["fine"]) for t in trend], "color": COLORS["fine"]}]},
        },
    }


# --- A1 alerts -----------------------------------------------------------------------------------


def load_alerts(conn, prev: dt.date, day: dt.date, book: PolicyBook) -> list[dict]:
    """Alert rows of the period (prev, day] with their complaint, deadlines (done as of the end of `day`)
    and, for a collective complaint, the other complaints of the burst."""
    end = day_end(day, settings.business_timezone())
    rows = db.fetch(conn, "digest_alerts_in_period", prev_date=prev, day=day)
    if not rows:
        return []
    ids = sorted({r["complaint_id"] for r in rows})
    complaints = {c["id"]: c for chunk in _chunks(ids) for c in db.fetch(conn, "digest_complaints_by_id", record_ids=chunk)}
    deadlines: dict[str, list[dict]] = defaultdict(list)
    for chunk in _chunks(ids):
        for o in db.fetch(conn, "digest_complaint_orders", record_ids=chunk):
            if o["started_at"] >= end:
                continue  # a stage that had not started when the day ended
            if o["done_at"] is not None and o["done_at"] >= end:
                o["done_at"] = None  # done after the day this alert belongs to
            deadlines[o["complaint_id"]].append(o)
    out = []
    for r in rows:
        c = complaints[r["complaint_id"]]
        details = json.loads(r["details"] or "{}")
        members = []
        if r["kind"] == "collective" and c["problem_code"]:
            window = book.in_force(c["received_date"]).collective.window_days
            members = db.fetch(conn, "digest_collective_members", problem_code=c["problem_code"],
                               window_start_at=c["received_at"] - dt.timedelta(days=window), received_at=c["received_at"])
        out.append({**r, "details": details, "complaint": c, "deadlines": deadlines[c["id"]], "members": members})
    return out


def alert_view(alert: Mapping, org: Org, recipient: Mapping) -> dict:
    c = alert["complaint"]
    return {
        "kind": "A1", "alert_key": alert["alert_key"], "alert_kind": alert["kind"], "raised_at": alert["raised_at"],
        "business_date": alert["business_date"], "recipient": dict(recipient),
        "customers": alert["details"].get("customers"), "problem_code": c["problem_code"],
        "complaint": {
            "id": c["id"], "kind": c["kind"], "category": c["category"], "channel": c["channel"],
            "received_at": c["received_at"], "department": org.dept(c["target_department_id"]),
            "customer": _customer(c), "summary": c["summary"], "filer": org.name(c["filer_id"]),
            "handler": org.name(c["handler_id"]) if c["handler_id"] else None,
            "target": org.party(c["target_staff_id"], c["target_team_id"]) if (c["target_staff_id"] or c["target_team_id"]) else None,
            "loss_amount": db.money(c["loss_amount"]), "customer_lost": bool(c["customer_lost"]), "major": bool(c["major"]),
        },
        "deadlines": [{"rule": o["rule"], "owner": org.name(o["owner_id"]) or "—", "due_at": o["due_at"],
                       "done_at": o["done_at"]} for o in alert["deadlines"]],
        "members": [{"id": m["id"], "received_at": m["received_at"], "customer": _customer(m),
                     "department": org.dept(m["target_department_id"]), "summary": m["summary"]} for m in alert["members"]],
    }


# --- queueing ------------------------------------------------------------------------------------


def _render_and_queue(conn, counts: Counter, staff: Mapping, kind: str, period: str, view: Mapping,
                      business_date: dt.date, state: str, now: dt.datetime) -> None:
    if not staff.get("email"):
        counts["without_address"] += 1
        log.warning("%s %s: %s (%s) has no e-mail address: not queued", kind, period, staff["name"], staff["id"])
        return
    try:
        rendered = mail.render(kind, view, staff["language"])
        outbox_id = mail.enqueue(conn, recipient=staff, kind=kind, period=period, business_date=business_date,
                                 rendered=rendered, state=state, now=now)
    except (mail.HeaderInjection, mail.InvalidAddress) as exc:
        counts["refused"] += 1
        log.error("%s %s to %s refused: %s", kind, period, staff["id"], exc)
        return
    if outbox_id is None:
        counts["already_queued"] += 1
    else:
        counts[kind] += 1


def _todo(conn, counts: Counter, kind: str, period: str, plan: list[tuple[dict, Scope]], release_archived: bool,
          now: dt.datetime) -> list[tuple[dict, Scope]]:
    """The recipients without a row for (kind, period); archived rows are released when asked to."""
    have = mail.existing(conn, kind, period)
    if release_archived:
        archived = [r["id"] for r in have.values() if r["state"] == "archived"]
        counts["released"] += mail.release(conn, archived, now)
    counts["already_queued"] += sum(1 for s, _ in plan if s["id"] in have)
    return [(s, scope) for s, scope in plan if s["id"] not in have]


def queue_for_day(conn, day: dt.date, *, now: dt.datetime, book: PolicyBook | None = None, send: bool = True,
                  kinds: Iterable[str] | None = None, release_archived: bool = False) -> dict:
    """Render and queue the mail of business date `day` in the caller's transaction (the daily run's):
    D1 for every manager with news and the general manager, D2/D3/D4 when `day` is their day, and one A1
    per alert row of the run's period (previous working day, day]. A message already queued for its
    (recipient, kind, period) is not queued again. `send=False` (backfills) stores them `archived`.
    Returns counts: messages queued per kind, already_queued, released, without_address, refused."""
    book = book or load_policy()
    tz = settings.business_timezone()
    wanted = set(kinds or KINDS)
    unknown = wanted - set(KINDS)
    if unknown:
        raise ValueError(f"unknown message kinds {sorted(unknown)}: use {', '.join(KINDS)}")
    state = "pending" if send else "archived"
    counts: Counter = Counter({k: 0 for k in KINDS})
    calendar = business_calendar.load(conn)
    policy = book.in_force(day)
    org = Org.load(conn)
    for item in schedule(calendar, day, policy.reports):
        if item.kind not in wanted:
            continue
        todo = _todo(conn, counts, item.kind, item.period, recipients(org, item.kind), release_archived and send, now)
        if not todo:
            continue
        if item.kind == "D1":
            data = load_day(conn, day, calendar, tz, policy.reports.digest_lookahead_wd)
            approvals = None
            if any(s["role"] in APPROVER_ROLES for s, _ in todo):
                approvals = waiting_approvals(conn, day, data["end"], calendar)
            for staff, scope in todo:
                view = daily_view(data, org, scope, org.recipient(staff),
                                  approvals if staff["role"] in APPROVER_ROLES else None)
                if staff["role"] not in APPROVER_ROLES and not has_news(view):
                    continue
                _render_and_queue(conn, counts, staff, "D1", item.period, view, day, state, now)
            continue
        data = load_period(conn, item.first, item.last, tz, book)
        build = {"D2": monthly_view, "D3": revisit_view, "D4": half_year_view}[item.kind]
        for staff, scope in todo:
            _render_and_queue(conn, counts, staff, item.kind, item.period, build(data, org, scope, org.recipient(staff)),
                              day, state, now)
    if "A1" in wanted:
        counts.update(queue_alerts(conn, day, now=now, send=send, book=book, org=org,
                                   release_archived=release_archived and send, calendar=calendar))
    return {k: counts[k] for k in (*KINDS, *COUNTERS)}


def queue_reports(conn, day: dt.date, *, now: dt.datetime, book: PolicyBook | None = None, send: bool = True,
                  release_archived: bool = False) -> dict:
    """D2, D3 and D4 when `day` is their day (the reports DAG; the daily run queues them too: whichever
    comes first queues them, the other finds them queued). Counts like `queue_for_day`."""
    return queue_for_day(conn, day, now=now, book=book, send=send, kinds=("D2", "D3", "D4"),
                         release_archived=release_archived)


def queue_alerts(conn, day: dt.date, *, now: dt.datetime, send: bool = True, book: PolicyBook | None = None,
                 org: Org | None = None, release_archived: bool = False, calendar: WorkCalendar | None = None,
                 since: dt.date | None = None) -> dict:
    """A1: one message per alert row of complaints received in (`since`, `day`] — by default since the
    working day before `day`, the daily run's period, so a weekend's alerts are in Monday's — to the
    manager of the complaint's department and the leadership. Keyed by the alert: an alert is mailed
    once, whoever queues it first (the frequent alerts DAG, or the daily run)."""
    book = book or load_policy()
    org = org or Org.load(conn)
    if since is None:
        since = (calendar or business_calendar.load(conn)).previous_working_day(day)
    counts: Counter = Counter({"A1": 0})
    state = "pending" if send else "archived"
    for alert in load_alerts(conn, since, day, book):
        plan = recipients(org, "A1", alert["complaint"]["target_department_id"])
        for staff, _scope in _todo(conn, counts, "A1", alert["alert_key"], plan, release_archived, now):
            _render_and_queue(conn, counts, staff, "A1", alert["alert_key"],
                              alert_view(alert, org, org.recipient(staff)), day, state, now)
    return {k: counts[k] for k in ("A1", *COUNTERS)}


# --- previews (`mail render`) --------------------------------------------------------------------


def preview(conn, kind: str, staff_id: str, day: dt.date, *, book: PolicyBook | None = None) -> list[tuple[str, dict, mail.Rendered]]:
    """The message(s) of `kind` that `staff_id` gets (or would get) for date `day`, rendered, without
    queueing: [(period, view, rendered)]. D2/D3 cover the month before `day`, D4 the six months before;
    A1 every alert of the run's period that concerns them."""
    book = book or load_policy()
    tz = settings.business_timezone()
    calendar = business_calendar.load(conn)
    org = Org.load(conn)
    staff = org.staff.get(staff_id)
    if staff is None:
        from complaint_ops.errors import UserError

        raise UserError(f"unknown staff {staff_id!r}")
    scope = org.scope_for(staff)
    who = org.recipient(staff)
    out = []
    if kind == "A1":
        for alert in load_alerts(conn, calendar.previous_working_day(day), day, book):
            view = alert_view(alert, org, who)
            out.append((alert["alert_key"], view, mail.render("A1", view, staff["language"])))
        return out
    item = period_of(kind, day)
    if kind == "D1":
        policy = book.in_force(day)
        data = load_day(conn, day, calendar, tz, policy.reports.digest_lookahead_wd)
        approvals = waiting_approvals(conn, day, data["end"], calendar) if staff["role"] in APPROVER_ROLES else None
        view = daily_view(data, org, scope, who, approvals)
    else:
        data = load_period(conn, item.first, item.last, tz, book)
        view = {"D2": monthly_view, "D3": revisit_view, "D4": half_year_view}[kind](data, org, scope, who)
    out.append((item.period, view, mail.render(kind, view, staff["language"])))
    return out

"""Follow-up work after a complaint closes (POLICY.md §5, §6): pure derivation from its facts.

Orders (each with a deterministic key, an owner and a deadline; overdue ones accrue O1 like stages):
- F1 `{id}:F1:assignment` — an external complaint closed: an assignment order 交办单 for the customer's
  account manager, due `assignment_due_wd` WD after closing.
- F1/F2 `{id}:revisit:1..3` — three revisits of an external complaint. Decision: F2 moves the first
  revisit to `first_revisit_days` (3) calendar days after closing and chooses its owner by weight
  (ordinary -> customer-service assistant, medium -> department head, severe/major -> company manager);
  the other two stay at 2 and 3 months (`revisit_months[1:]`), owned by the account manager.
  A calendar-day deadline on a non-working day rolls to the next working day, same clock time.
- F3 `{id}:F3:reply_letter` — anonymous or reply-letter-only complaints get no revisit; the reply letter
  is an order of the customer-service handler instead, due like the assignment order (Decision).
- F4 `{id}:F4:k.n` — each revisit that finds the customer unhappy schedules another one,
  `first_revisit_days` after it, for the same owner, until one finds the customer satisfied: revisit k's
  chain is F4:k.1, F4:k.2, ... (stable keys: nothing recorded later renumbers them).
- S1 `{id}:S1` — an upheld complaint closed: a second-round investigation 二次调查 opens
  `opens_after_days` (30) days after closing, owned by its handler, due `due_wd` (5) WD later.

Generated complaints (intake records, deterministic ids; the run lands them and derives their stages):
- S2 `{id}-S2` — the second-round investigation found "not improved" / "still unhappy": a complaint
  against the same target, `second_round_of` the first (P7 doubles its penalties). Decision: it is
  upheld when raised (the investigation established it) and carries the first complaint's facts
  except the loss, which the first complaint already recovers.
- F5 `{id}-F5` — stage E4 missed: an external complaint against the customer-service handler, raised at
  the E4 deadline, handled by the customer-service department head, upheld when raised.
"""

from __future__ import annotations

import calendar as _months
import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from complaint_ops import db
from complaint_ops.business_calendar import WorkCalendar
from complaint_ops.deadlines import OPEN_DATE, Order
from complaint_ops.errors import CalendarRangeError
from complaint_ops.policy import PolicyVersion

UNHAPPY = ("not_improved", "still_unhappy")


@dataclass(frozen=True)
class FollowUpFacts:
    """What the follow-ups of one complaint depend on (all known now, all timestamped)."""

    complaint_id: str
    kind: str
    closed_at: dt.datetime | None
    upheld: bool
    anonymous: bool
    reply_letter_only: bool
    weight: str  # ordinary | important | major (F2)
    handler_id: str | None
    account_manager_id: str | None
    department_head_id: str | None
    cs_assistant_id: str | None
    company_manager_id: str | None
    # order_key -> (time, outcome) of the first completion event of each follow-up order
    done: dict[str, tuple[dt.datetime, str | None]] = field(default_factory=dict)


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, _months.monthrange(year, month)[1]))


def calendar_due(start: dt.datetime, calendar: WorkCalendar, tz: ZoneInfo, *, days: int = 0, months: int = 0) -> dt.datetime:
    """`days`/`months` calendar days after `start`; on a non-working day, the next working day (same clock time)."""
    local = start.astimezone(tz)
    day = add_months(local.date(), months) + dt.timedelta(days=days)
    day = calendar.working_day_on_or_after(day)
    return dt.datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=tz)


def weight(severity: str, major: bool) -> str:
    """F2: severe or major -> major; medium -> important; else ordinary."""
    if major or severity == "severe":
        return "major"
    return "important" if severity == "medium" else "ordinary"


def _order(f: FollowUpFacts, key: str, kind: str, rule: str, sequence: int, owner: str | None,
           started: dt.datetime, due: dt.datetime, tz: ZoneInfo, policy: PolicyVersion) -> Order:
    done = f.done.get(key)
    done_at = done[0] if done else None
    return Order(order_key=key, complaint_id=f.complaint_id, kind=kind, rule=rule, sequence=sequence,
                 owner_id=owner, owner_role=None if owner else "handler", started_at=db.as_utc(started),
                 due_at=db.as_utc(due), due_date=due.astimezone(tz).date(),
                 done_at=done_at and db.as_utc(done_at), stop_at=done_at and db.as_utc(done_at),
                 stop_date=done_at.astimezone(tz).date() if done_at else OPEN_DATE, policy_version=policy.version)


def follow_up_orders(f: FollowUpFacts, calendar: WorkCalendar, policy: PolicyVersion, tz: ZoneInfo,
                     skipped: list[str] | None = None) -> list[Order]:
    """Every follow-up order of a closed complaint (none while it is open). `policy`: in force at closing.
    An order due beyond the filled calendar raises, or, given `skipped`, is left out and named there."""
    if f.closed_at is None:
        return []

    def attempt(key: str, kind: str, rule: str, sequence: int, owner, started: dt.datetime, due) -> list[Order]:
        try:
            return [_order(f, key, kind, rule, sequence, owner, started, due(), tz, policy)]
        except CalendarRangeError:
            if skipped is None:
                raise
            skipped.append(key)
            return []

    rules, closed, cid = policy.follow_ups, f.closed_at, f.complaint_id
    orders: list[Order] = []
    if f.kind == "external":
        assignment_due = lambda: calendar.add_working_days(closed, rules.assignment_due_wd, tz)  # noqa: E731
        orders += attempt(f"{cid}:F1:assignment", "assignment", "F1", 0, f.account_manager_id or f.handler_id,
                          closed, assignment_due)
        if f.anonymous or f.reply_letter_only:  # F3
            orders += attempt(f"{cid}:F3:reply_letter", "reply_letter", "F3", 0, f.handler_id, closed, assignment_due)
        else:
            orders += _revisits(f, calendar, policy, tz, attempt)
    if f.upheld:  # S1
        second = policy.second_round
        opens = closed + dt.timedelta(days=second.opens_after_days)
        orders += attempt(f"{cid}:S1", "second_round", "S1", 0, f.handler_id, opens,
                          lambda: calendar.add_working_days(opens, second.due_wd, tz))
    return orders


def _revisits(f: FollowUpFacts, calendar: WorkCalendar, policy: PolicyVersion, tz: ZoneInfo, attempt) -> list[Order]:
    rules, closed, cid = policy.follow_ups, f.closed_at, f.complaint_id
    first_owner = {"ordinary": f.cs_assistant_id, "important": f.department_head_id,
                   "major": f.company_manager_id}[f.weight] or f.handler_id
    orders = attempt(f"{cid}:revisit:1", "revisit", "F2", 1, first_owner, closed,
                     lambda: calendar_due(closed, calendar, tz, days=rules.first_revisit_days))
    for seq, months in enumerate(rules.revisit_months[1:3], start=2):
        orders += attempt(f"{cid}:revisit:{seq}", "revisit", "F1", seq, f.account_manager_id or f.handler_id, closed,
                          lambda months=months: calendar_due(closed, calendar, tz, months=months))
    # F4: an unhappy revisit schedules another, for the same owner, until one finds the customer satisfied.
    # Each revisit k has its own chain F4:k.1, F4:k.2 ...: a key never depends on what happens elsewhere.
    for base in list(orders):
        parent, depth = base, 0
        while (done := f.done.get(parent.order_key)) and done[1] == "unsatisfied":
            depth += 1
            found = done[0]
            made = attempt(f"{cid}:F4:{base.sequence}.{depth}", "revisit", "F4", base.sequence * 100 + depth,
                           base.owner_id, found,
                           lambda found=found: calendar_due(found, calendar, tz, days=rules.first_revisit_days))
            if not made:
                break
            parent = made[0]
            orders.append(parent)
    return orders


# --- generated complaints ---------------------------------------------------------------------------


def second_round_complaint(original: dict, result_at: dt.datetime) -> dict:
    """S2: the intake record of the second-round complaint raised by an unhappy second-round result."""
    cid = f"{original['id']}-S2"
    record = {
        "type": "complaint", "id": cid, "kind": original["kind"], "category": original["category"],
        "channel": "other", "filer_id": original["handler_id"] or original["filer_id"],
        "handler_id": original["handler_id"], "customer_id": original["customer_id"],
        "target_department_id": original["target_department_id"], "target_staff_id": original["target_staff_id"],
        "target_team_id": original["target_team_id"], "problem_code": original["problem_code"],
        "received_at": result_at.isoformat(), "second_round_of": original["id"],
        "summary": f"二次投诉 second-round complaint of {original['id']}: the improvement did not happen",
        "customer_lost": bool(original["customer_lost"]), "bad_attitude": bool(original["bad_attitude"]),
        "delay_days": int(original["delay_days"]), "anonymous": bool(original["anonymous"]),
        "reply_letter_only": bool(original["reply_letter_only"]),
        "upheld": True, "decided_at": result_at.isoformat(),
    }
    if original["kind"] == "external" and not record["customer_id"]:
        record["anonymous"] = True
    return record


def e4_missed_complaint(original: dict, due_at: dt.datetime, cs_head_id: str | None, filer_id: str) -> dict:
    """F5: the intake record of the external complaint against the customer-service handler."""
    return {
        "type": "complaint", "id": f"{original['id']}-F5", "kind": "external", "category": "service",
        "channel": "other", "filer_id": filer_id, "handler_id": cs_head_id or filer_id,
        "customer_id": original["customer_id"], "anonymous": original["customer_id"] is None,
        "target_department_id": original["handler_department_id"], "target_staff_id": original["handler_id"],
        "received_at": due_at.isoformat(), "problem_code": f"F5-{original['id']}"[:40],
        "summary": f"客服未在规定时间内告知客户处理结果 (E4 missed for {original['id']})",
        "upheld": True, "decided_at": due_at.isoformat(),
    }

"""Stage deadlines (POLICY.md §3) as orders: derived from the event log, never from a status column.

Pure: `stage_orders()` turns one complaint's facts into its stage orders; `orders.sync` stores them.

Decisions (POLICY.md is silent or loose):
- I1 starts when the GM secretary forwards the complaint (`forwarded` event); I2 and I3 start at filing.
- E1 starts at filing; E2, E3 and E4 each start when the previous stage is done (a stage that is
  never done accrues O1 itself; the next one never starts).
- E3 is owned by the customer-service handler, who calls the customer back (the department answers them).
- A deadline is fixed when its task starts: the working-day count comes from the policy in force on
  the start's local date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, fields
from zoneinfo import ZoneInfo

from complaint_ops import db
from complaint_ops.business_calendar import WorkCalendar
from complaint_ops.errors import CalendarRangeError
from complaint_ops.policy import PolicyBook

OPEN_DATE = dt.date(9999, 12, 31)  # stop_date of an order still open: sorts after every real day

# stage -> (what starts it, who owns it)
STAGE_RULES = {
    "I1": ("forwarded", "department_head"),
    "I2": ("received", "handler"),
    "I3": ("received", "handler"),
    "E1": ("received", "handler"),
    "E2": ("E1", "department_head"),
    "E3": ("E2", "handler"),
    "E4": ("E3", "handler"),
}
CLOSING_STAGE = {"internal": "I3", "external": "E4"}
STAGES = {"internal": ("I1", "I2", "I3"), "external": ("E1", "E2", "E3", "E4")}


@dataclass(frozen=True)
class StageFacts:
    """What the deadlines of one complaint depend on."""

    complaint_id: str
    kind: str
    received_at: dt.datetime
    forwarded_at: dt.datetime | None
    done: dict[str, dt.datetime]  # stage -> first completion
    withdrawn_at: dt.datetime | None = None


@dataclass(frozen=True)
class Order:
    order_key: str
    complaint_id: str
    kind: str
    rule: str
    sequence: int
    owner_id: str | None
    owner_role: str | None
    started_at: dt.datetime
    due_at: dt.datetime
    due_date: dt.date
    done_at: dt.datetime | None
    stop_at: dt.datetime | None
    stop_date: dt.date
    policy_version: str

    @property
    def source_hash(self) -> str:
        """Changes when anything about the order changes (no deep copies: this runs for every order)."""
        values = (f"{self.order_key}|{self.complaint_id}|{self.kind}|{self.rule}|{self.sequence}|{self.owner_id}|"
                  f"{self.owner_role}|{self.started_at}|{self.due_at}|{self.due_date}|{self.done_at}|{self.stop_at}|"
                  f"{self.stop_date}|{self.policy_version}")  # every field in order: `_ORDER_FIELDS` (tested)
        return hashlib.sha256(values.encode()).hexdigest()

    def row(self) -> dict:
        return {name: getattr(self, name) for name in _ORDER_FIELDS} | {"source_hash": self.source_hash}


_ORDER_FIELDS = tuple(f.name for f in fields(Order))


def closed_at(facts: StageFacts) -> dt.datetime | None:
    """A complaint is closed when its last stage is done (I3 internal, E4 external) or it is withdrawn."""
    return stop(facts.done.get(CLOSING_STAGE[facts.kind]), facts.withdrawn_at)


def stop(done_at: dt.datetime | None, closed: dt.datetime | None) -> dt.datetime | None:
    """O1: an order stops accruing when it is done or when its complaint is closed."""
    candidates = [t for t in (done_at, closed) if t is not None]
    return min(candidates) if candidates else None


def stage_orders(facts: StageFacts, calendar: WorkCalendar, book: PolicyBook, tz: ZoneInfo,
                 skipped: list[str] | None = None) -> list[Order]:
    """The stage orders of one complaint that have started (pure). A deadline beyond the calendar is an
    error, or, given `skipped`, that order is left out and named there (the others still derive)."""
    closed = closed_at(facts)
    orders = []
    for stage in STAGES[facts.kind]:
        trigger, owner_role = STAGE_RULES[stage]
        if trigger == "received":
            started = facts.received_at
        elif trigger == "forwarded":
            started = facts.forwarded_at
        else:
            started = facts.done.get(trigger)
        if started is None:
            continue  # the task has not started (yet)
        version = book.in_force(started.astimezone(tz).date())
        try:
            due_at = calendar.add_working_days(started, version.deadlines_wd.for_stage(stage), tz)
        except CalendarRangeError:
            if skipped is None:
                raise
            skipped.append(f"{facts.complaint_id}:{stage}")
            continue
        done_at = facts.done.get(stage)
        stop_at = stop(done_at, closed)
        orders.append(Order(
            order_key=f"{facts.complaint_id}:{stage}", complaint_id=facts.complaint_id, kind="stage",
            rule=stage, sequence=0, owner_id=None, owner_role=owner_role,
            started_at=db.as_utc(started), due_at=db.as_utc(due_at), due_date=due_at.astimezone(tz).date(),
            done_at=done_at and db.as_utc(done_at), stop_at=stop_at and db.as_utc(stop_at),
            stop_date=stop_at.astimezone(tz).date() if stop_at else OPEN_DATE,
            policy_version=version.version,
        ))
    return orders

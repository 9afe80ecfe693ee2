"""The daily run for one business date D: `run_day(engine, D)` (CLI, DAGs and tests all call it).

The run is a pure function of (the data known now, D, the policy in force): it makes the ledger's
entries for D equal what the facts justify for D, so running D again, or all dates of a month in any
order, gives the same ledger. In one transaction:

1. lock D (a second run of D waits), derive the orders of complaints whose facts changed;
2. O1 overdue 压单: the breach on an order's deadline day and one more charge for every further
   working day that ends with it open (from event timestamps, never a status column);
3. P10 no reply at I1 by its deadline: "waived the right to explain" is proposed to the general manager;
4. complaint penalties (P1-P9): a complaint's penalty *state* at the end of D (decision in force then,
   approvals made by then) minus its state at the end of the previous working day is posted on D, so
   an upheld decision posts, a later "rejected" cancels, an approval posts the approved lines;
5. reconcile with what D already holds: reversal + correction when facts or policy changed.

Non-working days post nothing: what happens on them is picked up by the next working day's run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from complaint_ops import alerts, business_calendar, db, facts, orders, settings
from complaint_ops.business_calendar import day_end
from complaint_ops.ledger import Entry, reconcile
from complaint_ops.penalties import NoResponsibleParty, PenaltyLine, assess
from complaint_ops.policy import PolicyBook, PolicyVersion, load_policy

log = logging.getLogger(__name__)


@dataclass
class DaySummary:
    business_date: dt.date
    working_day: bool
    orders_due: int = 0
    breaches: int = 0
    accruals: int = 0
    complaints_decided: int = 0
    entries_posted: int = 0
    entries_reversed: int = 0
    entries_unchanged: int = 0
    fines_posted: Decimal = Decimal("0.00")
    points_posted: int = 0
    proposals_new: int = 0
    proposals_waiting: int = 0
    orders_synced: int = 0
    alerts_raised: int = 0
    mail_queued: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False
    changes: list[dict] = field(default_factory=list)  # posted and reversed rows (for what-if reports)

    def line(self) -> str:
        if not self.working_day:
            return f"{self.business_date}: not a working day, nothing to post"
        return (f"{self.business_date}: {self.orders_due} orders overdue ({self.breaches} breaches, "
                f"{self.accruals} accruals), {self.complaints_decided} complaints decided; posted "
                f"{self.entries_posted}, reversed {self.entries_reversed}, unchanged {self.entries_unchanged}; "
                f"fines {self.fines_posted:+} CNY, points {self.points_posted:+}; proposals new "
                f"{self.proposals_new}, waiting {self.proposals_waiting}"
                + (f"; {len(self.warnings)} warnings" if self.warnings else "")
                + (" (dry run: nothing written)" if self.dry_run else ""))

    def as_dict(self) -> dict:
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "changes"}  # not thousands of rows
        return json.loads(json.dumps(data, default=str))


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


def run_day(engine: Engine, day: dt.date, *, now: dt.datetime, book: PolicyBook | None = None,
            dry_run: bool = False, mail: str | None = None) -> DaySummary:
    """Run business date `day`; `now` only stamps rows (posted_at), it never decides anything.
    `mail`: None queues no mail, "send" queues the day's digests and alerts to be sent, "archive"
    queues them archived (a backfill mails nobody) — in the run's own transaction either way."""
    return run_days(engine, day, day, now=now, book=book, dry_run=dry_run, mail=mail)[0]


def run_days(engine: Engine, first: dt.date, last: dt.date, *, now: dt.datetime, book: PolicyBook | None = None,
             dry_run: bool = False, mail: str | None = None) -> list[DaySummary]:
    """Run every date of [first, last] in order, each in its own transaction (all rolled back if dry)."""
    book = book or load_policy()
    tz = settings.business_timezone()
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    summaries: list[DaySummary] = []
    if dry_run:  # one transaction for the whole range, so later days see earlier days' postings
        try:
            with db.transaction(engine) as conn:
                for day in days:
                    summaries.append(_run(conn, day, now=now, book=book, tz=tz, dry_run=True, mail=mail))
                raise _DryRun
        except _DryRun:
            pass
        return summaries
    for day in days:
        with db.transaction(engine) as conn:
            summaries.append(_run(conn, day, now=now, book=book, tz=tz, dry_run=False, mail=mail))
    return summaries


def _run(conn, day: dt.date, *, now: dt.datetime, book: PolicyBook, tz: ZoneInfo, dry_run: bool,
         mail: str | None = None) -> DaySummary:
    db.execute(conn, "daily_lock_day", business_date=day, started_at=now)
    calendar = business_calendar.load(conn)
    working = calendar.is_working(day)
    summary = DaySummary(day, working, dry_run=dry_run)
    orders.ensure_policy(conn, book, now)
    synced = orders.sync(conn, calendar, book, tz, now=now)
    summary.orders_synced = synced.complaints
    summary.warnings += synced.deferred
    desired: list[Entry] = []
    if working:
        policy = book.in_force(day)
        prev = calendar.previous_working_day(day)
        end, prev_end = day_end(day, tz), day_end(prev, tz)
        if orders.raise_missed_e4(conn, end, now, tz):  # F5, then derive the new complaints' stages
            summary.orders_synced += orders.sync(conn, calendar, book, tz, now=now).complaints
        summary.alerts_raised = alerts.raise_for_period(conn, prev, day, book, now)
        desired += _overdue_entries(conn, day, end, policy, summary, now)
        desired += _complaint_entries(conn, day, prev, end, prev_end, book, summary, now)
    result = reconcile(conn, day, desired, posted_at=now)
    summary.entries_posted = len(result.posted)
    summary.entries_reversed = len(result.reversed)
    summary.entries_unchanged = result.unchanged
    summary.fines_posted = result.fines
    summary.points_posted = result.points
    summary.changes = result.reversed + result.posted
    summary.proposals_waiting = db.fetch(conn, "proposals_waiting_count")[0]["waiting"]
    if mail is not None and working:  # D1 digests, due reports and alerts, in this same transaction
        from complaint_ops import digests

        summary.mail_queued = digests.queue_for_day(conn, day, now=now, book=book, send=mail == "send")
    db.execute(conn, "daily_record_summary", business_date=day, summary=json.dumps(summary.as_dict(), ensure_ascii=False))
    for warning in summary.warnings:
        log.warning("%s: %s", day, warning)
    return summary


def settle_complaints(conn, day: dt.date, complaint_ids: list[str], *, now: dt.datetime,
                      book: PolicyBook | None = None) -> DaySummary:
    """Post the complaint penalties (not O1) of a few complaints on `day`: what an approval triggers.
    Gives exactly what the full run of `day` gives for them, so that run later finds nothing to add."""
    book = book or load_policy()
    tz = settings.business_timezone()
    db.execute(conn, "daily_lock_day", business_date=day, started_at=now)
    calendar = business_calendar.load(conn)
    summary = DaySummary(day, calendar.is_working(day))
    prev = calendar.previous_working_day(day)
    desired = _complaint_entries(conn, day, prev, day_end(day, tz), day_end(prev, tz), book, summary, now,
                                 ids=complaint_ids)
    result = reconcile(conn, day, desired, posted_at=now, complaint_ids=complaint_ids, exclude_rules=("O1",))
    summary.entries_posted, summary.entries_reversed = len(result.posted), len(result.reversed)
    summary.fines_posted, summary.points_posted = result.fines, result.points
    summary.changes = result.reversed + result.posted
    return summary


# --- O1 and P10 ----------------------------------------------------------------------------------


def _overdue_entries(conn, day, end, policy: PolicyVersion, summary: DaySummary, now) -> list[Entry]:
    """O1: 50 CNY on the deadline's day when the order missed it, 50 more per working day it stays open."""
    entries = []
    for order in db.fetch(conn, "daily_overdue_orders", day=day, day_end_at=end):
        summary.orders_due += 1
        breach = order["due_date"] == day
        if breach:
            summary.breaches += 1
        else:
            summary.accruals += 1
        if order["owner_id"] is None:
            summary.warnings.append(f"order {order['order_key']} is overdue but has no owner (department without manager?)")
            continue
        fine = policy.overdue.breach_fine if breach else policy.overdue.daily_fine
        entries.append(Entry(
            rule="O1", kind="fine", complaint_id=order["complaint_id"], order_key=order["order_key"],
            staff_id=order["owner_id"], team_id=None, fine_amount=fine, points=policy.overdue.points, multiplier=1,
            policy_version=policy.version,
            detail=("missed its deadline " if breach else "still open, deadline was ") + order["due_at"].isoformat(),
        ))
        if breach and order["rule"] == "I1" and policy.approval.waived_explanation_proposed:
            summary.proposals_new += _propose_waiver(conn, day, order, policy, now)
    return entries


def _propose_waiver(conn, day, order, policy: PolicyVersion, now) -> int:
    """P10: no reply at I1 by its deadline = the department waived its right to explain; the general
    manager decides the penalty (Decision: the internal light penalty is proposed). One proposal per
    I1 order, whoever heads the department by then."""
    cell = policy.penalty("internal", "light")
    line = PenaltyLine("P10", "fine", order["owner_id"], None, cell.fine, cell.points, 1, True,
                       "waived the right to explain 视同放弃解释权利: no reply at I1 by its deadline")
    return _insert_proposals(conn, day, order["complaint_id"], [line], policy, now,
                             key=f"{order['complaint_id']}|P10|{order['order_key']}")


# --- complaint penalties -------------------------------------------------------------------------


def proposal_key(complaint_id: str, line: PenaltyLine, policy_version: str) -> str:
    # The hash covers the complaint too: its 16 hex digits are the short id `penalties approve` takes.
    content = json.dumps([complaint_id, line.rule, line.kind, line.party, str(line.fine), line.points,
                          line.multiplier, policy_version])
    return f"{complaint_id}|{line.rule}|{line.kind}|{line.party}|{hashlib.sha256(content.encode()).hexdigest()[:16]}"


def _insert_proposals(conn, day, complaint_id, lines: list[PenaltyLine], policy: PolicyVersion, now,
                      key: str | None = None) -> int:
    rows = [{"proposal_key": key or proposal_key(complaint_id, line, policy.version), "business_date": day, "rule": line.rule,
             "kind": line.kind, "complaint_id": complaint_id, "staff_id": line.staff_id, "team_id": line.team_id,
             "fine_amount": line.fine, "points": line.points, "multiplier": line.multiplier,
             "policy_version": policy.version, "reason": line.reason, "created_at": now} for line in lines]
    if not rows:
        return 0
    known = {r["proposal_key"] for r in db.fetch(conn, "proposals_for_complaints", record_ids=[complaint_id])}
    new = [r for r in rows if r["proposal_key"] not in known]
    if new:
        conn.execute(db.query("proposal_insert"), new)
    return len(new)


def _complaint_entries(conn, day, prev, end, prev_end, book: PolicyBook, summary: DaySummary, now,
                       ids: list[str] | None = None) -> list[Entry]:
    if ids is None:
        ids = [r["complaint_id"] for r in db.fetch(conn, "daily_changed_complaints", day=day, prev_date=prev,
                                                      day_end_at=end, prev_end_at=prev_end)]
    if not ids:
        return []
    proposals = defaultdict(list)
    for p in db.fetch(conn, "proposals_for_complaints", record_ids=ids):
        proposals[p["complaint_id"]].append(p)
    breached = i1_breached(conn, ids)
    entries: list[Entry] = []
    rows = facts.rows(conn, ids, day_end_at=end, prev_end_at=prev_end)
    counts = facts.Counts(conn)  # R2 counts of all the day's complaints, one statement per policy window
    for at in ("now", "before"):
        counts.prefetch(rows, lambda row: book.in_force(row[f"decided_{at}_date"]) if row[f"outcome_{at}"] == "upheld"
                        else None)
    counts.prefetch([r for r in rows if r["id"] not in counts.duplicates],  # R1 of the rest
                    lambda row: book.in_force(row["received_at"].astimezone(settings.business_timezone()).date()))

    def penalty_facts(row, at):  # only an upheld state is assessed
        if row[f"outcome_{at}"] != "upheld":
            return None
        return facts.penalty_facts(conn, row, book, row[f"decided_{at}_date"], counts=counts)

    for row in rows:
        summary.complaints_decided += 1
        row["duplicate_of"] = facts.duplicate_of(conn, row, counts)  # R1: linked, or found
        try:  # each state with the policy of its own decision (R2 window, amounts)
            now_state, proposed = _state(row, "now", end, penalty_facts(row, "now"), book, proposals[row["id"]], breached)
            before_state, _ = _state(row, "before", prev_end, penalty_facts(row, "before"), book, proposals[row["id"]],
                                     breached)
        except NoResponsibleParty as exc:
            summary.warnings.append(str(exc))
            continue
        if proposed:
            summary.proposals_new += _insert_proposals(conn, day, row["id"], proposed,
                                                       book.in_force(row["decided_now_date"]), now)
        entries += _difference(now_state, before_state)
    return entries


def i1_breached(conn, complaint_ids: list[str]) -> set[str]:
    """Complaints whose I1 order missed its deadline, by the facts known now (P10 still holds)."""
    return {r["complaint_id"] for r in db.fetch(conn, "orders_i1_breached", record_ids=complaint_ids)}


def _state(row: dict, at: str, instant: dt.datetime, complaint, book: PolicyBook,
           proposals: list[dict], breached: set[str]) -> tuple[list[Entry], list[PenaltyLine]]:
    """What a complaint's penalties amount to at `instant`: automatic lines if upheld then, plus the
    proposals the general manager had approved by then (and that the facts still justify)."""
    lines: list[PenaltyLine] = []
    policy = None
    if row[f"outcome_{at}"] == "upheld" and row["duplicate_of"] is None:  # R1: duplicates carry no penalty
        policy = book.in_force(row[f"decided_{at}_date"])
        lines = assess(complaint, policy)
    state = [_entry(row["id"], line, policy.version) for line in lines if not line.needs_approval]
    proposed = [line for line in lines if line.needs_approval]
    justified = {proposal_key(row["id"], line, policy.version) for line in proposed} if policy else set()
    for p in proposals:
        approved = p["decision"] == "approved" and p["decided_at"] < instant
        if approved and (p["proposal_key"] in justified or (p["rule"] == "P10" and row["id"] in breached)):
            state.append(Entry(rule=p["rule"], kind=p["kind"], complaint_id=row["id"], staff_id=p["staff_id"],
                               team_id=p["team_id"], fine_amount=db.money(p["fine_amount"]), points=p["points"],
                               multiplier=p["multiplier"], policy_version=p["policy_version"],
                               proposal_key=p["proposal_key"], detail="approved by the general manager"))
    return state, proposed


def justified_proposals(conn, complaint_ids: list[str], book: PolicyBook) -> set[str]:
    """Proposal keys the facts known now still call for: what may be approved; the rest is superseded."""
    keys: set[str] = set()
    breached = i1_breached(conn, complaint_ids)
    rows = facts.rows(conn, complaint_ids)
    counts = facts.Counts(conn)  # R1/R2 of all of them in one statement (the GM's digest lists them daily)
    counts.prefetch(rows, lambda row: book.in_force(row["decided_now_date"]) if row["outcome_now"] == "upheld" else None)
    for row in rows:
        keys |= {f"{row['id']}|P10|{row['id']}:I1"} if row["id"] in breached else set()
        if row["outcome_now"] != "upheld" or facts.duplicate_of(conn, row, counts):
            continue
        try:
            policy = book.in_force(row["decided_now_date"])
            lines = assess(facts.penalty_facts(conn, row, book, row["decided_now_date"], counts=counts), policy)
        except NoResponsibleParty:
            continue
        keys |= {proposal_key(row["id"], line, policy.version) for line in lines if line.needs_approval}
    return keys


def _entry(complaint_id: str, line: PenaltyLine, policy_version: str) -> Entry:
    return Entry(rule=line.rule, kind=line.kind, complaint_id=complaint_id, staff_id=line.staff_id,
                 team_id=line.team_id, fine_amount=line.fine, points=line.points, multiplier=line.multiplier,
                 policy_version=policy_version, detail=line.reason)


def _difference(now: list[Entry], before: list[Entry]) -> list[Entry]:
    """Lines that appeared are charged; lines that disappeared are cancelled (negated) on this date."""
    remaining = Counter(before)
    result = []
    for entry in now:
        if remaining[entry]:
            remaining[entry] -= 1
        else:
            result.append(entry)
    for entry, count in remaining.items():
        for _ in range(count):
            result.append(Entry(**{**asdict(entry), "entry_type": "cancellation", "fine_amount": -entry.fine_amount,
                                   "points": -entry.points, "detail": "cancelled: " + (entry.detail or entry.rule)}))
    return result

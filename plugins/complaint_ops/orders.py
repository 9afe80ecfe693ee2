"""The order store: every piece of work with a deadline, derived from the facts (POLICY.md §3, §5, §6).

Why stored: a daily run finds the day's due work with one indexed query. An order is a cache of the
facts; intake queues a complaint whenever its facts or events change and `sync` derives its orders
again (stage orders, follow-ups) and raises the complaints the facts call for (S2, F5). So the run
for any date reads the same orders whatever order dates are run in; cost follows the queue.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from complaint_ops import db, facts, followups, intake
from complaint_ops.business_calendar import WorkCalendar
from complaint_ops.deadlines import OPEN_DATE, Order, StageFacts, closed_at, stage_orders
from complaint_ops.penalties import severity
from complaint_ops.policy import PolicyBook


@dataclass
class SyncResult:
    complaints: int = 0
    orders_written: int = 0
    orders_removed: int = 0
    complaints_generated: int = 0
    deferred_orders: int = 0
    deferred: list[str] = field(default_factory=list)


def book_fingerprint(book: PolicyBook) -> str:
    parts = [[v.version, str(v.effective_from), str(book.end_of(v)), v.fingerprint] for v in book.versions]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def ensure_policy(conn, book: PolicyBook, now: dt.datetime) -> bool:
    """Deadlines depend on the policy: when the book differs from the one the stored orders were derived
    with (a new version, or a what-if draft inside a dry run), queue every complaint to derive again."""
    fingerprint = book_fingerprint(book)
    stored = db.fetch(conn, "derivation_state_get", state_name="policy")
    if stored and stored[0]["fingerprint"] == fingerprint:
        return False
    enqueue_all(conn, now)
    db.execute(conn, "derivation_state_set", state_name="policy", fingerprint=fingerprint, updated_at=now)
    return True


def sync(conn, calendar: WorkCalendar, book: PolicyBook, tz: ZoneInfo, *, now: dt.datetime,
         batch: int = 500) -> SyncResult:
    """Derive the orders of every queued complaint again (and of the complaints that raises).

    A complaint whose deadlines fall outside the filled calendar stays queued with a warning: it cannot
    be due on any date the calendar covers, and must not stop the runs of other dates."""
    result = SyncResult()
    roles = {r["role"]: r["staff_id"] for r in db.fetch(conn, "orders_role_defaults")}
    progress = True
    while progress:  # passes over the queue in key order; generated complaints need another pass
        progress, after = False, ""
        while queued := db.fetch(conn, "orders_sync_queue_batch", batch_size=batch, after_id=after,
                                 calendar_end_date=calendar.last_day):
            after = queued[-1]["complaint_id"]
            ids = [q["complaint_id"] for q in queued]
            stage_facts = {f.complaint_id: f for f in load_stage_facts(conn, ids)}
            done = _follow_up_events(conn, ids)
            derived: list[Order] = []
            generated: list[tuple[dict, str, str]] = []
            waiting: set[str] = set()
            rows = facts.rows(conn, ids)
            counts = facts.Counts(conn)  # F2 weights: R2/R3 counts of the batch in one statement
            counts.prefetch(rows, lambda row: _closing_policy(stage_facts[row["id"]], book, tz))
            for row in rows:
                sf = stage_facts[row["id"]]
                skipped: list[str] = []
                mine = stage_orders(sf, calendar, book, tz, skipped)
                mine += _follow_ups(conn, row, sf, done[row["id"]], roles, calendar, book, tz, skipped, counts)
                derived += mine
                generated += _generated(row, sf, done[row["id"]], mine, roles)
                if skipped:
                    waiting.add(row["id"])
                    result.deferred_orders += len(skipped)
            write_orders(conn, ids, derived, result)
            dequeue = [q for q in queued if q["complaint_id"] not in waiting]
            if dequeue:
                conn.execute(db.query("orders_sync_dequeue"), dequeue)
            if waiting:  # derived as far as the calendar goes; again once it reaches further
                conn.execute(db.query("orders_sync_defer"), [{"complaint_id": c, "deferred_until": calendar.last_day}
                                                             for c in sorted(waiting)])
            result.complaints += len(ids)
            made = land_generated(conn, generated, now, tz)
            made += withdraw_unfounded_f5(conn, derived, now)
            result.complaints_generated += made
            progress = progress or made > 0
    if result.deferred_orders:
        result.deferred.append(f"{result.deferred_orders} orders are due beyond the business calendar "
                               f"(last day {calendar.last_day}): they are derived once `complaint-ops calendar fill` "
                               "reaches their dates")
    return result


def load_stage_facts(conn, complaint_ids: list[str]) -> Iterable[StageFacts]:
    events: dict[str, list[dict]] = defaultdict(list)
    for e in db.fetch(conn, "orders_stage_events", record_ids=complaint_ids):
        events[e["complaint_id"]].append(e)
    for c in db.fetch(conn, "orders_complaints", record_ids=complaint_ids):
        done: dict[str, dt.datetime] = {}
        first: dict[str, dt.datetime] = {}
        for e in events[c["id"]]:  # ordered by time: the first completion counts
            if e["event_type"] == "stage_done":
                done.setdefault(e["stage"], e["occurred_at"])
            else:
                first.setdefault(e["event_type"], e["occurred_at"])
        yield StageFacts(c["id"], c["kind"], c["received_at"], first.get("forwarded"), done, first.get("withdrawn"))


def _follow_up_events(conn, ids: list[str]) -> dict[str, dict[str, tuple[dt.datetime, str | None]]]:
    done: dict[str, dict] = defaultdict(dict)
    for e in db.fetch(conn, "orders_follow_up_events", record_ids=ids):
        done[e["complaint_id"]].setdefault(e["order_key"], (e["occurred_at"], e["outcome"]))
    return done


def _closing_policy(sf: StageFacts, book: PolicyBook, tz: ZoneInfo):
    closed = closed_at(sf)
    if closed is None or sf.withdrawn_at is not None:
        return None
    return book.in_force(closed.astimezone(tz).date())


def _follow_ups(conn, row, sf: StageFacts, done, roles, calendar, book, tz, skipped: list[str],
                counts: facts.Counts | None = None) -> list[Order]:
    closed = closed_at(sf)
    if closed is None or sf.withdrawn_at is not None:  # a withdrawn complaint was never handled: no follow-ups
        return []
    policy = book.in_force(closed.astimezone(tz).date())
    revisits = row["kind"] == "external" and not (row["anonymous"] or row["reply_letter_only"])
    f = followups.FollowUpFacts(
        complaint_id=row["id"], kind=row["kind"], closed_at=closed, upheld=row["outcome_now"] == "upheld",
        anonymous=bool(row["anonymous"]), reply_letter_only=bool(row["reply_letter_only"]),
        weight=_weight(conn, row, book, policy, closed.astimezone(tz).date(), counts) if revisits else "ordinary",
        handler_id=row["handler_id"] or roles.get("gm_secretary"), account_manager_id=row["account_manager_id"],
        department_head_id=row["target_manager_id"], cs_assistant_id=roles.get("cs_assistant"),
        company_manager_id=roles.get("company_manager") or roles.get("general_manager"), done=done,
    )
    return followups.follow_up_orders(f, calendar, policy, tz, skipped)


def _weight(conn, row, book: PolicyBook, policy, closed_day: dt.date, counts: facts.Counts | None = None) -> str:
    """F2 weight of a closed complaint, asking the database (R2 repeats, R3 collective) only when the
    complaint's own facts do not already decide it."""
    if row["major"]:
        return "major"
    own = dataclasses.replace(facts.penalty_facts(conn, row, book, closed_day, count_repeats=False), repeat_count=1)
    sev = severity(own, policy)
    if sev == "severe" or facts.is_major(conn, row, policy, counts):
        return "major"
    if sev == "light" and facts.repeat_count(conn, row, policy, counts) >= policy.severity.medium_repeat_count:
        sev = "medium"
    return followups.weight(sev, False)


def _generated(row, sf: StageFacts, done, derived: list[Order], roles) -> list[tuple[dict, str, str]]:
    """S2 from an unhappy second-round result; F5 from an E4 that stopped after its deadline — done late,
    or its complaint withdrawn late: E4 was missed either way, as O1 charges it (an E4 still open past
    its deadline is raised by the daily run, which knows the day: `raise_missed_e4`)."""
    out = []
    result = done.get(f"{row['id']}:S1")
    if result and result[1] in followups.UNHAPPY:
        out.append((followups.second_round_complaint(row, result[0]), "S2", f"{row['id']}:S1"))
    e4 = next((o for o in derived if o.order_key == f"{row['id']}:E4"), None)
    if e4 is not None and e4.stop_at is not None and e4.stop_at > e4.due_at:
        out.append((followups.e4_missed_complaint(row, e4.due_at, row["handler_department_head_id"],
                                                  roles.get("gm_secretary") or row["filer_id"]), "F5", e4.order_key))
    return out


def raise_missed_e4(conn, day_end: dt.datetime, now: dt.datetime, tz: ZoneInfo) -> int:
    """F5 for E4 orders still open when the run's day ends past their deadline."""
    missed = db.fetch(conn, "orders_open_e4_missed", open_date=OPEN_DATE, day_end_at=day_end)
    if not missed:
        return 0
    roles = {r["role"]: r["staff_id"] for r in db.fetch(conn, "orders_role_defaults")}
    rows = {r["id"]: r for r in facts.rows(conn, [m["complaint_id"] for m in missed])}
    generated = [(followups.e4_missed_complaint(rows[m["complaint_id"]], m["due_at"].astimezone(tz),
                                               rows[m["complaint_id"]]["handler_department_head_id"],
                                               roles.get("gm_secretary") or rows[m["complaint_id"]]["filer_id"]),
                  "F5", f"{m['complaint_id']}:E4") for m in missed]
    return land_generated(conn, generated, now, tz)


def withdraw_unfounded_f5(conn, derived: list[Order], now: dt.datetime) -> int:
    """F5 raised while E4 looked missed, but E4 turns out stopped in time (done, or its complaint
    withdrawn, entered late): withdraw it. The withdrawal is an event at the moment it was raised, so it
    never counted and its orders stop."""
    on_time = [o.order_key for o in derived if o.rule == "E4" and o.stop_at is not None and o.stop_at <= o.due_at]
    if not on_time:
        return 0
    rows = []
    for g in db.fetch(conn, "orders_generated_from", origin_keys=on_time):
        event = {"event_key": f"{g['id']}:withdrawn", "complaint_id": g["id"], "order_key": None,
                 "event_type": "withdrawn", "stage": None, "occurred_at": g["received_at"],
                 "occurred_date": g["received_date"], "actor_id": None, "outcome": "rejected", "method": None,
                 "signature": None, "note": f"withdrawn: {g['origin_key']} was done in time"}
        rows.append(event | {"content_hash": intake.content_hash(event), "recorded_at": now})
    if rows:
        conn.execute(db.query("intake_insert_event"), rows)
        conn.execute(db.query("intake_enqueue_sync"), [{"complaint_id": r["complaint_id"], "queued_at": now} for r in rows])
    return len(rows)


def land_generated(conn, generated: list[tuple[dict, str, str]], now: dt.datetime, tz: ZoneInfo) -> int:
    """Write generated complaints through intake's own path (validated rows, decision events, sync queue)."""
    if not generated:
        return 0
    report = intake.write_generated(conn, [record for record, _, _ in generated], now=now, tz=tz)
    conn.execute(db.query("generated_mark_origin"),
                 [{"id": record["id"], "origin": origin, "origin_key": key} for record, origin, key in generated])
    return report.accepted


def write_orders(conn, complaint_ids: list[str], derived: list[Order], result: SyncResult) -> None:
    """Upsert what was derived; drop the orders of these complaints that no longer derive."""
    if not complaint_ids:
        return
    existing = {r["order_key"]: r["source_hash"] for r in db.fetch(conn, "orders_existing", record_ids=complaint_ids)}
    changed = [o.row() for o in derived if existing.get(o.order_key) != o.source_hash]
    if changed:
        conn.execute(db.query("orders_upsert"), changed)
        result.orders_written += len(changed)
    stale = sorted(set(existing) - {o.order_key for o in derived})
    if stale:
        conn.execute(db.query("orders_delete"), {"order_keys": stale})
        result.orders_removed += len(stale)


def enqueue_all(conn, now: dt.datetime) -> int:
    """After a calendar override or a policy change: derive every complaint's orders again."""
    return db.execute(conn, "orders_enqueue_all", queued_at=now)


def listing(conn, *, owner: str | None, status: str | None, due_before: dt.date | None, as_of: dt.datetime,
            tz: ZoneInfo) -> list[dict]:
    """`complaint-ops orders`: work as of a moment — open, overdue (open past its deadline) or done."""
    # open/overdue: only orders not stopped by then (index on stop_date), not the whole history
    min_stop = as_of.astimezone(tz).date() if status in ("open", "overdue") else dt.date(1, 1, 1)
    rows = db.fetch(conn, "orders_list", owner=owner, due_before_date=due_before or dt.date(9999, 12, 31),
                    as_of_at=as_of, min_stop_date=min_stop)
    out = []
    for r in rows:
        if r["done_at"] is not None and r["done_at"] <= as_of:
            r["status"] = "done"
        elif r["stop_at"] is not None and r["stop_at"] <= as_of:
            r["status"] = "closed"
        else:
            r["status"] = "overdue" if r["due_at"] < as_of else "open"
        if status and r["status"] != status:
            continue
        r["due_at"] = r["due_at"].astimezone(tz)
        out.append(r)
    return out

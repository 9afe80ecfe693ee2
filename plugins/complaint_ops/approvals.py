"""P9 approval: severe penalties, dismissal recommendations and P10 waivers wait for the general manager.

A decision is a row in `proposal_decisions` (unique per proposal, so approving twice records and posts
once). Approving posts at once: the approved lines go to the ledger on the working day whose run
period holds the approval (that day itself, or the next working day after a weekend), exactly as that
day's run would post them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from complaint_ops import business_calendar, db, settings
from complaint_ops.daily import DaySummary, justified_proposals, settle_complaints
from complaint_ops.policy import load_policy
from complaint_ops.errors import UserError

APPROVERS = ("general_manager",)


@dataclass
class DecisionResult:
    proposal_key: str
    decision: str
    already_decided: bool
    posting: DaySummary | None


def find(conn, key_or_id: str) -> dict:
    """A proposal by its full key or the short id (`penalties list` shows the last 16 hex digits)."""
    rows = db.fetch(conn, "proposals_find", key=key_or_id, short_id=f"%|{key_or_id}")
    if not rows:
        raise UserError(f"no penalty proposal {key_or_id!r}: see `complaint-ops penalties list`")
    if len(rows) > 1:
        raise UserError(f"{key_or_id!r} matches {len(rows)} proposals: give the full key")
    return rows[0]


def decide(engine: Engine, key_or_id: str, decision: str, *, by: str, at: dt.datetime,
           reason: str | None = None) -> DecisionResult:
    if decision not in ("approved", "rejected"):
        raise ValueError(decision)
    with db.transaction(engine) as conn:
        proposal = find(conn, key_or_id)
        approver = db.fetch(conn, "staff_by_id", staff_id=by)
        if not approver:
            raise UserError(f"unknown staff {by!r}")
        if approver[0]["role"] not in APPROVERS:
            raise UserError(f"{by} ({approver[0]['name']}) is not the general manager: only the general manager "
                            f"approves or rejects penalties (P9)")
        if proposal["decision"] is not None:
            return DecisionResult(proposal["proposal_key"], proposal["decision"], True, None)
        if decision == "approved" and proposal["proposal_key"] not in justified_proposals(
                conn, [proposal["complaint_id"]], load_policy()):
            raise UserError(f"proposal {key_or_id} is superseded: the facts of complaint {proposal['complaint_id']} "
                            "changed since it was proposed; see `complaint-ops penalties list` for the current one")
        try:
            with conn.begin_nested():
                db.execute(conn, "proposal_decide", proposal_key=proposal["proposal_key"], decision=decision,
                           decided_by=by, decided_at=at, reason=reason)
        except IntegrityError:  # decided concurrently by another session
            return DecisionResult(proposal["proposal_key"], proposal["decision"] or decision, True, None)
        posting = None
        if decision == "approved":
            calendar = business_calendar.load(conn)
            day = calendar.working_day_on_or_after(at.astimezone(settings.business_timezone()).date())
            posting = settle_complaints(conn, day, [proposal["complaint_id"]], now=at)
        return DecisionResult(proposal["proposal_key"], decision, False, posting)


def listing(conn, status: str = "proposed", *, waiting_at: tuple[dt.date, dt.datetime] | None = None) -> list[dict]:
    """Proposals with their status: proposed, approved, rejected, or superseded (waiting, but the facts
    known now no longer call for it: it cannot be approved). `waiting_at` (day, its end): only those
    waiting then, not every proposal of history (what a digest reads every day)."""
    day, end = waiting_at or (dt.date.max, dt.datetime.min.replace(tzinfo=dt.timezone.utc))
    rows = db.fetch(conn, "proposals_list", day=day, day_end_at=end)
    waiting = sorted({r["complaint_id"] for r in rows if r["decision"] is None})
    justified = justified_proposals(conn, waiting, load_policy()) if waiting else set()
    for r in rows:
        r["status"] = r["decision"] or ("proposed" if r["proposal_key"] in justified else "superseded")
        r["id"] = _short_id(r["proposal_key"])
    return rows if status == "all" else [r for r in rows if r["status"] == status]


def _short_id(key: str) -> str:
    """The last 16 hex digits (severe lines) or the order key (P10 waivers): unique and typeable."""
    tail = key.rsplit("|", 1)[-1]
    return tail

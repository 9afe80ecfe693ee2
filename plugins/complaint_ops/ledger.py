"""The append-only penalty ledger (POLICY.md L1).

A run for business date D computes the entries that *should* stand for D (`desired`) and reconciles:
entries already posted with the same content are left alone, entries no longer justified get a
reversal row, new or changed ones are posted. Nothing is ever updated or deleted; on PostgreSQL a
trigger refuses it, on SQLite a trigger too.

Idempotency key: `date|rule|kind|subject|party|type|content-hash|g<n>`. The content hash covers every
amount, so a changed amount is a new key; `g<n>` counts earlier, reversed entries with the same
content, so a fact that flips back and forth still posts each time it should. Keys carry the date,
so runs of different dates never touch each other's entries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from complaint_ops import db


@dataclass(frozen=True)
class Entry:
    """One line the ledger should hold for a business date."""

    rule: str
    kind: str
    complaint_id: str
    staff_id: str | None
    team_id: str | None
    fine_amount: Decimal
    points: int
    multiplier: int
    policy_version: str
    entry_type: str = "charge"  # charge | cancellation (a state undone on this date, e.g. upheld -> rejected)
    order_key: str | None = None
    proposal_key: str | None = None
    detail: str = ""

    @property
    def party(self) -> str:
        return f"staff:{self.staff_id}" if self.staff_id else f"team:{self.team_id}"

    @property
    def content_hash(self) -> str:
        values = [self.rule, self.kind, self.complaint_id, self.order_key, self.party, str(db.money(self.fine_amount)),
                  self.points, self.multiplier, self.policy_version, self.entry_type, self.proposal_key]
        return hashlib.sha256(json.dumps(values).encode()).hexdigest()

    def base_key(self, day: dt.date) -> str:
        subject = self.order_key or self.complaint_id
        return f"{day.isoformat()}|{self.rule}|{self.kind}|{subject}|{self.party}|{self.entry_type}|{self.content_hash[:16]}"


@dataclass
class Reconciliation:
    posted: list[dict] = field(default_factory=list)
    reversed: list[dict] = field(default_factory=list)
    unchanged: int = 0

    @property
    def fines(self) -> Decimal:
        return sum((r["fine_amount"] for r in self.posted + self.reversed if r["kind"] != "loss_recovery"), Decimal("0.00"))

    @property
    def points(self) -> int:
        return sum(r["points"] for r in self.posted + self.reversed)


def _generation(key: str) -> tuple[str, int]:
    base, _, gen = key.rpartition("|g")
    return base, int(gen)


def reconcile(conn, day: dt.date, desired: list[Entry], *, posted_at: dt.datetime,
              complaint_ids: list[str] | None = None, exclude_rules: tuple[str, ...] = ()) -> Reconciliation:
    """Make the ledger for `day` equal `desired`; or, when scoped, only these complaints' entries
    of the other rules (an approval posts its complaint's penalties and touches nothing else)."""
    result = Reconciliation()
    if complaint_ids is None:
        existing = db.fetch(conn, "ledger_day_entries", business_date=day)
    else:
        existing = [e for e in db.fetch(conn, "ledger_day_entries_for", business_date=day, record_ids=complaint_ids)
                    if e["rule"] not in exclude_rules]
    reversed_ids = {e["reverses_id"] for e in existing if e["entry_type"] == "reversal"}
    active = {_generation(e["entry_key"])[0]: e for e in existing
              if e["entry_type"] != "reversal" and e["id"] not in reversed_ids}
    generations = Counter(_generation(e["entry_key"])[0] for e in existing if e["entry_type"] != "reversal")

    wanted = {}
    for entry in desired:
        key = entry.base_key(day)
        if key in wanted:
            raise ValueError(f"two ledger lines with the same key {key}: {entry} / {wanted[key]}")
        wanted[key] = entry

    for key, old in sorted(active.items()):
        if key in wanted:
            result.unchanged += 1
            continue
        row = {c: old[c] for c in ("rule", "kind", "complaint_id", "order_key", "staff_id", "team_id", "multiplier",
                                   "policy_version", "proposal_key", "business_date")}
        row.update(entry_key=f"{old['entry_key']}|rev", entry_type="reversal", reverses_id=old["id"],
                   fine_amount=-db.money(old["fine_amount"]), points=-old["points"], content_hash=old["content_hash"],
                   detail=f"reverses entry {old['id']}: no longer justified by the facts or the policy",
                   posted_at=posted_at)
        result.reversed.append(row)
    for key, entry in sorted(wanted.items()):
        if key in active:
            continue
        result.posted.append({
            "entry_key": f"{key}|g{generations[key]}", "entry_type": entry.entry_type, "reverses_id": None,
            "business_date": day, "rule": entry.rule, "kind": entry.kind, "complaint_id": entry.complaint_id,
            "order_key": entry.order_key, "staff_id": entry.staff_id, "team_id": entry.team_id,
            "fine_amount": db.money(entry.fine_amount), "points": entry.points, "multiplier": entry.multiplier,
            "policy_version": entry.policy_version, "content_hash": entry.content_hash, "detail": entry.detail,
            "proposal_key": entry.proposal_key, "posted_at": posted_at,
        })
    rows = result.reversed + result.posted
    if rows:
        conn.execute(db.query("ledger_insert"), rows)
    return result


# --- reading -------------------------------------------------------------------------------------


def entries(conn, *, party: str | None = None, date_from: dt.date | None = None,
            date_to: dt.date | None = None) -> list[dict]:
    """Ledger rows for `complaint-ops ledger`, filtered by person/team id and date range."""
    return db.fetch(conn, "ledger_list", party=party, date_from=date_from or dt.date(1, 1, 1),
                    date_to=date_to or dt.date(9999, 12, 31))


def net_by_party(conn) -> dict[str, tuple[Decimal, int]]:
    """Net fine (loss recovery excluded) and points per staff/team: what a reference computation checks."""
    return {r["party"]: (db.money(r["fine_amount"]), int(r["points"])) for r in db.fetch(conn, "ledger_net_by_party")}

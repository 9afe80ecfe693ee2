"""The invariants of issue 8 as functions that *return* what they find (never assert), so the state
machine counts every violation in the suite's figures before failing, and a test can plant each kind of
violation and see it found (a check that cannot fail proves nothing).

- L1 one ledger entry per idempotency key; a line stands at most once per date; reversals are sound;
- the ledger's lines, and its net per (party, rule), equal a clean twin's over the same final data;
- O1 per order and date equals the plain reference of `world.o1_reference`;
- at most one delivered message per (recipient, kind, period); every message a clean run queues is
  queued; a message marked sent reached the server;
- every `unknown` outbox row is reported to ops (the attention list and data quality).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import text

from complaint_ops import db, mail, ops
from tests.reliability.world import OVERDUE_WD

D = Decimal


@dataclass
class Findings:
    """Violations by figure: `lost` and `duplicated` ledger entries and messages, with what they were."""

    ledger_lost: list = field(default_factory=list)
    ledger_duplicated: list = field(default_factory=list)
    messages_lost: list = field(default_factory=list)
    messages_duplicated: list = field(default_factory=list)

    def __iadd__(self, other: Findings) -> Findings:
        for name in ("ledger_lost", "ledger_duplicated", "messages_lost", "messages_duplicated"):
            getattr(self, name).extend(getattr(other, name))
        return self

    def __bool__(self) -> bool:
        return bool(self.ledger_lost or self.ledger_duplicated or self.messages_lost or self.messages_duplicated)

    def counts(self) -> dict[str, int]:
        return {"ledger entries lost": len(self.ledger_lost), "ledger entries duplicated": len(self.ledger_duplicated),
                "messages lost": len(self.messages_lost), "messages duplicated": len(self.messages_duplicated)}


def require(found: Findings, what: str) -> None:
    """Count what was found in the suite's figures, then fail if anything was."""
    from tests import figures

    for name, n in found.counts().items():
        figures.count(name, n)
    if found:
        raise AssertionError(f"{what}: {found}")


# --- reading -------------------------------------------------------------------------------------------


def ledger_rows(engine) -> list[dict]:
    with engine.connect() as conn:
        return [db.typed_row(r) for r in conn.execute(text(
            "SELECT id, entry_key, entry_type, reverses_id, business_date, rule, kind, complaint_id, order_key, "
            "staff_id, team_id, fine_amount, points, multiplier FROM ledger ORDER BY id")).mappings()]


def _base_key(entry_key: str) -> str:
    """The idempotency key without its generation (`|g<n>`): one line of one date."""
    return entry_key.removesuffix("|rev").rpartition("|g")[0]


def active_entries(rows: list[dict]) -> Counter:
    """L1: what the ledger says now, per line: charges and cancellations not reversed (ids and keys left
    out, so two histories that end in the same postings compare equal)."""
    reversed_ids = {r["reverses_id"] for r in rows if r["entry_type"] == "reversal"}
    return Counter((str(r["business_date"]), r["rule"], r["kind"], r["complaint_id"], r["order_key"], r["staff_id"],
                    r["team_id"], db.money(r["fine_amount"]), int(r["points"]), int(r["multiplier"]), r["entry_type"])
                   for r in rows if r["entry_type"] != "reversal" and r["id"] not in reversed_ids)


def net_by_party_rule(rows: list[dict]) -> dict[tuple[str, str], tuple[Decimal, int]]:
    """Net fine (loss recovery aside) and points per (party, rule), reversals included."""
    net: dict[tuple[str, str], list] = {}
    for r in rows:
        party = f"staff:{r['staff_id']}" if r["staff_id"] else f"team:{r['team_id']}"
        cell = net.setdefault((party, r["rule"]), [D("0.00"), 0])
        if r["kind"] != "loss_recovery":
            cell[0] += db.money(r["fine_amount"])
        cell[1] += int(r["points"])
    return {k: (v[0], v[1]) for k, v in net.items() if v != [D("0.00"), 0]}


def snapshot(engine) -> dict[str, list]:
    """Every row of every table (the scenario is small): a failed run must leave this unchanged."""
    from sqlalchemy import inspect

    out = {}
    with engine.connect() as conn:
        for table in sorted(inspect(conn).get_table_names()):
            if table != "alembic_version":
                out[table] = sorted(tuple(str(v) for v in r) for r in conn.execute(text(f'SELECT * FROM "{table}"')))
    return out


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t))


def content(engine) -> dict[str, list]:
    """What the data says, without the database's own bookkeeping: every table, minus integer surrogate
    keys (a PostgreSQL sequence is not rolled back with a failed run, so a retry's ids may skip), columns
    the server stamps with its clock, and `day_runs` (how often a date ran, and the last run's summary).
    Equal for a clean run and a failed run followed by its retry."""
    from sqlalchemy import Integer, inspect

    out = {}
    with engine.connect() as conn:
        inspector = inspect(conn)
        for table in sorted(inspector.get_table_names()):
            if table in ("alembic_version", "day_runs"):
                continue
            columns = [c["name"] for c in inspector.get_columns(table)
                       if not (c["name"] in ("id", "outbox_id", "reverses_id") and isinstance(c["type"], Integer))
                       and not any(f in str(c.get("default")).lower() for f in ("current_timestamp", "now()"))]
            rows = conn.execute(text(f'SELECT {", ".join(columns)} FROM "{table}"'))
            out[table] = sorted(tuple(str(v) for v in r) for r in rows)
    return out


def runs_of(engine, day: dt.date) -> int:
    """How many runs of `day` committed (day_runs counts them in the run's own transaction)."""
    with engine.connect() as conn:
        n = conn.execute(text("SELECT runs FROM day_runs WHERE business_date = :d"), {"d": day}).scalar()
    return int(n or 0)


def outbox(engine) -> dict[tuple[str, str, str], dict]:
    with engine.connect() as conn:
        return {(r["recipient_id"], r["kind"], r["period"]): r for r in mail.listing(conn)}


# --- after every step ------------------------------------------------------------------------------


def ledger_invariants(rows: list[dict]) -> Findings:
    """One entry per idempotency key; no line standing twice for a date; every reversal reverses one
    standing charge, once."""
    found = Findings()
    keys = Counter(r["entry_key"] for r in rows)
    found.ledger_duplicated += [f"key {k} x{n}" for k, n in keys.items() if n > 1]
    by_id = {r["id"]: r for r in rows}
    targets = Counter(r["reverses_id"] for r in rows if r["entry_type"] == "reversal")
    found.ledger_duplicated += [f"entry {i} reversed {n} times" for i, n in targets.items() if n > 1]
    found.ledger_lost += [f"reversal of {i}: no such charge" for i in targets
                          if i not in by_id or by_id[i]["entry_type"] == "reversal"]
    standing = Counter(_base_key(r["entry_key"]) for r in rows if r["entry_type"] != "reversal" and r["id"] not in targets)
    found.ledger_duplicated += [f"line {k} standing x{n}" for k, n in standing.items() if n > 1]
    return found


def delivery_invariants(delivered_ids: list[str]) -> Findings:
    """At most one delivered message per (recipient, kind, period): its Message-ID is fixed by that key."""
    found = Findings()
    found.messages_duplicated += [f"{mid} delivered x{n}" for mid, n in Counter(delivered_ids).items() if n > 1]
    return found


def unknown_reported(engine, day: dt.date) -> Findings:
    """Every `unknown` row is on the attention list and counted by data quality: a message that may
    not have arrived and that nobody is told about is a message lost silently."""
    found = Findings()
    with engine.connect() as conn:
        unknown = {r["id"] for r in mail.listing(conn, state="unknown")}
        attention = {r["id"] for r in mail.needing_attention(conn) if r["state"] == "unknown"}
    reported = sum(f.count for f in ops.data_quality(engine, day) if f.check == "outbox_unknown")
    found.messages_lost += [f"outbox {i} unknown, not on the attention list" for i in sorted(unknown - attention)]
    if reported != len(unknown):
        found.messages_lost.append(f"data quality reports {reported} unknown messages, the outbox holds {len(unknown)}")
    return found


def retry_added(committed: Outcome, retried: Outcome) -> Findings:
    """A retry of a run that did commit (its acknowledgement lost) must post and queue nothing."""
    found = Findings()
    known = {r["entry_key"] for r in committed.ledger}
    found.ledger_duplicated += [f"retry posted {r['entry_key']}" for r in retried.ledger if r["entry_key"] not in known]
    found.messages_duplicated += [f"retry queued {key}" for key in sorted(retried.messages - committed.messages)]
    return found


# --- at the end --------------------------------------------------------------------------------------


def mail_settled(engine, accepted_ids: list[str]) -> Findings:
    """After a healthy pass: nothing left pending or waiting for a retry, and every row marked sent is a
    message the server accepted."""
    found = Findings()
    accepted = set(accepted_ids)
    for key, r in outbox(engine).items():
        if r["state"] == "sent" and r["message_id"] not in accepted:
            found.messages_lost.append(f"{key} marked sent, never accepted by the server")
        if r["state"] in ("pending", "sending") or (r["state"] == "failed" and r["next_attempt_at"] is not None):
            found.messages_lost.append(f"{key} still {r['state']} after a healthy pass")
    return found


@dataclass(frozen=True)
class Outcome:
    """What a database ended with: its ledger rows and the (recipient, kind, period) of its messages."""

    ledger: list
    messages: frozenset

    @classmethod
    def of(cls, engine) -> Outcome:
        return cls(ledger_rows(engine), frozenset(outbox(engine)))


def against_twin(machine: Outcome, twin: Outcome) -> Findings:
    """The faulty history against a clean run over the same final data: the same standing lines, the
    same net per (party, rule), and every message the twin queued queued here too."""
    found = Findings()
    mine, theirs = machine.ledger, twin.ledger
    a, b = active_entries(mine), active_entries(theirs)
    for line in sorted(set(a) | set(b), key=str):
        if a[line] > b[line]:
            found.ledger_duplicated.append(f"extra {line} x{a[line] - b[line]}")
        elif a[line] < b[line]:
            found.ledger_lost.append(f"missing {line} x{b[line] - a[line]}")
    net_a, net_b = net_by_party_rule(mine), net_by_party_rule(theirs)
    for key in sorted(set(net_a) | set(net_b)):
        got, want = net_a.get(key, (D("0.00"), 0)), net_b.get(key, (D("0.00"), 0))
        if got != want:  # more fine (or fewer points) than a clean run: posted twice; less: lost
            where = found.ledger_duplicated if (got[0], -got[1]) > (want[0], -want[1]) else found.ledger_lost
            where.append(f"net {key}: {got} here, {want} in a clean run")
    found.messages_lost += [f"{key} never queued" for key in sorted(twin.messages - machine.messages)]
    return found


def o1_posted(rows: list[dict], complaint_ids: set[str]) -> dict[tuple[str, str], Decimal]:
    """Net O1 per (order, date) of internal complaints' stage orders, as the ledger holds it."""
    net: dict[tuple[str, str], Decimal] = {}
    for r in rows:
        if r["rule"] == "O1" and r["complaint_id"] in complaint_ids and r["order_key"].split(":")[1] in OVERDUE_WD:
            key = (r["order_key"], str(r["business_date"]))
            net[key] = net.get(key, D("0.00")) + db.money(r["fine_amount"])
    return {k: v for k, v in net.items() if v}


def against_o1_reference(posted: dict, reference: dict) -> Findings:
    found = Findings()
    for key in sorted(set(posted) | set(reference)):
        got, want = posted.get(key, D("0.00")), reference.get(key, D("0.00"))
        if got > want:
            found.ledger_duplicated.append(f"O1 {key}: {got} posted, POLICY.md says {want}")
        elif got < want:
            found.ledger_lost.append(f"O1 {key}: {got} posted, POLICY.md says {want}")
    return found

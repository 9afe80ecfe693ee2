"""What the penalty engine and the follow-ups know of a complaint, read from the database.

Shared by the daily run (penalties as of two instants) and the order sync (follow-ups): R1 duplicates,
R2 repeat counts and R3 collective complaints are counted here with indexed lookups bounded by each
complaint's own window (never over all history): for a batch in one statement (`Counts`), else one
query per complaint.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable

from complaint_ops import db, settings
from complaint_ops.penalties import ComplaintFacts
from complaint_ops.policy import PolicyBook, PolicyVersion

FAR_FUTURE = dt.datetime(9999, 12, 31, tzinfo=dt.timezone.utc)  # "as of now": every decision known
R1_WINDOW = dt.timedelta(days=30)  # Decision: "several departments" = filed within 30 days of each other


def rows(conn, complaint_ids: list[str], *, day_end_at: dt.datetime = FAR_FUTURE,
         prev_end_at: dt.datetime = FAR_FUTURE) -> list[dict]:
    """Complaint rows with the decision in force at two instants: `outcome_now`/`decided_now_date` at
    `day_end_at`, `outcome_before`/`decided_before_date` at `prev_end_at`."""
    tz = settings.business_timezone()
    out = db.fetch(conn, "daily_complaint_facts", record_ids=complaint_ids, day_end_at=day_end_at,
                   prev_end_at=prev_end_at)
    for row in out:
        for at, instant in (("now", day_end_at), ("before", prev_end_at)):
            outcome, when = decision_in_force(row, at, instant)
            row[f"outcome_{at}"] = outcome
            row[f"decided_{at}_date"] = when and when.astimezone(tz).date()
    return out


def decision_in_force(row: dict, at: str, instant: dt.datetime) -> tuple[str | None, dt.datetime | None]:
    """The later of the record's own decision and the last decision/withdrawal event before `instant`
    (on a tie the event wins: it was taken after the record was written)."""
    record = None
    if row["upheld"] is not None and row["decided_at"] is not None and row["decided_at"] < instant:
        record = ("upheld" if row["upheld"] else "rejected", row["decided_at"])
    event = (row[f"event_outcome_{at}"], row[f"event_{at}_at"]) if row[f"event_{at}_at"] is not None else None
    if record and event:
        return event if event[1] >= record[1] else record
    return event or record or (None, None)


class Counts:
    """R2 and R3 counts of many complaints, fetched in one statement per policy window: what a batch of
    the order sync or a day's decided complaints need, without one round trip per complaint. A
    complaint not prefetched is counted by the one-row queries below."""

    def __init__(self, conn):
        self.conn = conn
        self.known: dict[tuple, tuple[int, int]] = {}
        self.duplicates: dict[str, str | None] = {}  # R1 found: the same for every policy

    @staticmethod
    def _key(policy: PolicyVersion) -> tuple[int, int, int, int]:
        return (policy.severity.medium_repeat_window_days, policy.severity.medium_repeat_count,
                policy.collective.window_days, policy.collective.min_customers)

    def prefetch(self, rows: Iterable[dict], policy_of: Callable[[dict], PolicyVersion | None]) -> None:
        groups: dict[tuple, set[str]] = defaultdict(set)
        for row in rows:
            policy = policy_of(row)
            if policy is not None and (row["id"], self._key(policy)) not in self.known:
                groups[self._key(policy)].add(row["id"])
        name = "facts_counts_pg" if self.conn.dialect.name == "postgresql" else "facts_counts"
        for key, ids in groups.items():
            found = db.fetch(self.conn, name, record_ids=sorted(ids), repeat_days=key[0], repeat_cap=key[1],
                             collective_days=key[2], collective_cap=key[3], duplicate_days=R1_WINDOW.days)
            for r in found:
                self.known[(r["id"], key)] = (int(r["repeat_count"]), int(r["collective_customers"]))
                self.duplicates[r["id"]] = r["earlier_duplicate"]

    def get(self, row: dict, policy: PolicyVersion) -> tuple[int, int] | None:
        return self.known.get((row["id"], self._key(policy)))


def repeat_count(conn, row: dict, policy: PolicyVersion, counts: Counts | None = None) -> int:
    """R2: complaints against the same department and category in the window ending with this one
    (counted up to the policy's threshold: more changes nothing)."""
    if counts is not None and (known := counts.get(row, policy)) is not None:
        return known[0]
    window_start = row["received_at"] - dt.timedelta(days=policy.severity.medium_repeat_window_days)
    return db.fetch(conn, "daily_repeat_count", department_id=row["target_department_id"],
                    category=row["category"], window_start_at=window_start, received_at=row["received_at"],
                    cap=policy.severity.medium_repeat_count)[0]["repeat_count"]


def duplicate_of(conn, row: dict, counts: Counts | None = None) -> str | None:
    """R1: linked at intake, or the same customer's same problem filed with another department shortly before."""
    if row["duplicate_of"]:
        return row["duplicate_of"]
    if not (row["customer_id"] and row["problem_code"]):
        return None
    if counts is not None and row["id"] in counts.duplicates:
        return counts.duplicates[row["id"]]
    found = db.fetch(conn, "facts_earlier_duplicate", customer_id=row["customer_id"], problem_code=row["problem_code"],
                     department_id=row["target_department_id"], window_start_at=row["received_at"] - R1_WINDOW,
                     received_at=row["received_at"], complaint_id=row["id"])
    return found[0]["id"] if found else None


def collective_customers(conn, row: dict, policy: PolicyVersion, cap: int | None = None,
                         counts: Counts | None = None) -> int:
    """R3: distinct customers with the same problem in the window ending with this complaint."""
    if not row["problem_code"]:
        return 1
    if counts is not None and cap in (None, policy.collective.min_customers) and (known := counts.get(row, policy)):
        return known[1]
    window_start = row["received_at"] - dt.timedelta(days=policy.collective.window_days)
    return db.fetch(conn, "facts_collective_customers", problem_code=row["problem_code"],
                    window_start_at=window_start, received_at=row["received_at"],
                    cap=cap or policy.collective.min_customers)[0]["customers"]


def is_major(conn, row: dict, policy: PolicyVersion, counts: Counts | None = None) -> bool:
    """A1/R3: recorded as major, or a collective complaint (3+ customers, same problem, 7 days)."""
    return bool(row["major"]) or (collective_customers(conn, row, policy, counts=counts)
                                  >= policy.collective.min_customers)


def penalty_facts(conn, row: dict, book: PolicyBook, decided: dt.date | None = None, *,
                  count_repeats: bool = True, counts: Counts | None = None) -> ComplaintFacts:
    """The facts as the policy in force on the decision date `decided` reads them (R2 window)."""
    policy = book.in_force(decided or row["received_at"].astimezone(settings.business_timezone()).date())
    return ComplaintFacts(
        complaint_id=row["id"], kind=row["kind"], loss_amount=db.money(row["loss_amount"]),
        customer_lost=bool(row["customer_lost"]), bad_attitude=bool(row["bad_attitude"]),
        delay_days=int(row["delay_days"]),
        repeat_count=int(repeat_count(conn, row, policy, counts)) if count_repeats else 1,
        obstruction=bool(row["obstruction"]), obstruction_grave=bool(row["obstruction_grave"]),
        severity_raised=row["severity_raised"],
        handler_fine=None if row["handler_fine"] is None else db.money(row["handler_fine"]),
        second_round=row["second_round_of"] is not None, target_staff_id=row["target_staff_id"],
        target_team_id=row["target_team_id"], target_manager_id=row["target_manager_id"],
        supervisor_id=row["supervisor_id"],
    )

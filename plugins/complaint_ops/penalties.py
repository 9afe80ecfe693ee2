"""Complaint penalties (POLICY.md §4): pure functions of a complaint's facts and the policy version.

`assess()` returns the lines an upheld complaint costs: P1 fine and points for the responsible unit (P8),
P4 loss recovery from an individual, P5 the supervisor's joint liability, P6 obstruction (and a
dismissal recommendation when grave), all doubled for a second-round complaint (P7). Lines of a
severe complaint and dismissal recommendations are marked as needing the general manager's approval
(P9). R1 duplicates and rejected complaints cost nothing (decided by the caller).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from complaint_ops.db import CENT
from complaint_ops.policy import SEVERITIES, PolicyVersion


@dataclass(frozen=True)
class ComplaintFacts:
    complaint_id: str
    kind: str  # internal | external
    loss_amount: Decimal = Decimal("0.00")
    customer_lost: bool = False
    bad_attitude: bool = False
    delay_days: int = 0
    repeat_count: int = 1  # R2: complaints about the same problem in the window, this one included
    obstruction: bool = False
    obstruction_grave: bool = False
    severity_raised: str | None = None
    handler_fine: Decimal | None = None
    second_round: bool = False
    target_staff_id: str | None = None
    target_team_id: str | None = None
    target_manager_id: str | None = None
    supervisor_id: str | None = None  # of the target staff member


@dataclass(frozen=True)
class PenaltyLine:
    rule: str  # P1 | P4 | P5 | P6
    kind: str  # fine | loss_recovery | dismissal
    staff_id: str | None
    team_id: str | None
    fine: Decimal
    points: int
    multiplier: int
    needs_approval: bool
    reason: str

    @property
    def party(self) -> str:
        return f"staff:{self.staff_id}" if self.staff_id else f"team:{self.team_id}"


class NoResponsibleParty(ValueError):
    """P8 found nobody to pay: no target staff, team, nor a manager of the target department."""


def derive_severity(facts: ComplaintFacts, policy: PolicyVersion) -> str:
    """P2: the lowest severity the facts allow (the handler may only raise it)."""
    rules = policy.severity
    if facts.loss_amount > 0 or facts.customer_lost:
        return "severe"
    if (facts.bad_attitude or facts.repeat_count >= rules.medium_repeat_count
            or facts.delay_days >= rules.medium_delay_days):
        return "medium"
    return "light"


def severity(facts: ComplaintFacts, policy: PolicyVersion) -> str:
    """The derived severity, raised (never lowered) by the handler's choice."""
    derived = derive_severity(facts, policy)
    if facts.severity_raised and SEVERITIES.index(facts.severity_raised) > SEVERITIES.index(derived):
        return facts.severity_raised
    return derived


def severe_points(facts: ComplaintFacts, policy: PolicyVersion) -> int:
    """P1 note: a loss of 500 CNY or more, or a lost customer, costs -20 points; a smaller loss -10."""
    rules = policy.severity
    if facts.customer_lost or facts.loss_amount >= rules.severe_loss_threshold:
        return rules.severe_points_large_loss
    return rules.severe_points_small_loss


def responsible(facts: ComplaintFacts) -> tuple[str | None, str | None]:
    """P8: the target staff member if named, else the target team, else the department's manager."""
    if facts.target_staff_id:
        return facts.target_staff_id, None
    if facts.target_team_id:
        return None, facts.target_team_id
    if facts.target_manager_id:
        return facts.target_manager_id, None
    raise NoResponsibleParty(f"complaint {facts.complaint_id}: no target staff, team or department manager")


def assess(facts: ComplaintFacts, policy: PolicyVersion) -> list[PenaltyLine]:
    """Every penalty line an upheld complaint costs under `policy`."""
    sev = severity(facts, policy)
    cell = policy.penalty(facts.kind, sev)
    multiplier = policy.second_round.multiplier if facts.second_round else 1  # P7
    approval = policy.approval.severity_needs_approval(sev)  # P9
    staff_id, team_id = responsible(facts)

    base_fine = cell.fine
    if cell.fine_is_minimum and facts.handler_fine is not None and facts.handler_fine > base_fine:
        base_fine = facts.handler_fine  # P3: "at least" takes the handler's higher amount
    points = severe_points(facts, policy) if sev == "severe" else cell.points
    fine = (base_fine * multiplier).quantize(CENT)
    why = f"{facts.kind} {sev}" + (", second round x%d" % multiplier if multiplier > 1 else "")
    lines = [PenaltyLine("P1", "fine", staff_id, team_id, fine, points * multiplier, multiplier, approval, why)]

    if facts.target_staff_id:
        if policy.individual.loss_recovery and facts.loss_amount > 0:  # P4
            lines.append(PenaltyLine("P4", "loss_recovery", staff_id, None, facts.loss_amount.quantize(CENT),
                                     0, 1, approval, f"loss recovery {facts.loss_amount}"))
        if facts.supervisor_id:  # P5 joint liability: a share of the individual's fine
            share = (fine * policy.individual.supervisor_joint_rate).quantize(CENT)
            lines.append(PenaltyLine("P5", "fine", facts.supervisor_id, None, share, 0, 1, approval,
                                     f"joint liability {policy.individual.supervisor_joint_rate} of {fine}"))

    if facts.obstruction:  # P6
        obstruction = policy.obstruction
        lines.append(PenaltyLine("P6", "fine", staff_id, team_id, (obstruction.min_fine * multiplier).quantize(CENT),
                                 obstruction.points * multiplier, multiplier, approval, "hid or distorted facts"))
        if facts.obstruction_grave and obstruction.dismissal_when_grave:
            lines.append(PenaltyLine("P6", "dismissal", staff_id, team_id, Decimal("0.00"), 0, 1,
                                     policy.approval.dismissal_proposed, "dismissal recommended 劝退"))
    return lines

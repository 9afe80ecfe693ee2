"""POLICY.md §4 penalties as pure functions; every amount below is worked out by hand from POLICY.md."""

from decimal import Decimal

import pytest

from complaint_ops.penalties import ComplaintFacts, NoResponsibleParty, assess, derive_severity, severity
from complaint_ops.policy import load_policy

POLICY = load_policy().in_force(__import__("datetime").date(2026, 3, 4))
D = Decimal


def facts(**kw) -> ComplaintFacts:
    base = {"complaint_id": "C1", "kind": "internal", "target_manager_id": "HEAD"}
    base.update(kw)
    return ComplaintFacts(**base)


def by_rule(lines):
    return {(l.rule, l.kind): l for l in lines}


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({}, "light"),
        ({"loss_amount": D("0.01")}, "severe"),
        ({"customer_lost": True}, "severe"),
        ({"bad_attitude": True}, "medium"),
        ({"repeat_count": 3}, "medium"),  # R2: the third complaint included
        ({"repeat_count": 2}, "light"),
        ({"delay_days": 3}, "medium"),
        ({"delay_days": 2}, "light"),
        ({"bad_attitude": True, "loss_amount": D("10")}, "severe"),
    ],
)
def test_P2_lowest_severity_the_facts_allow(kw, expected):
    assert derive_severity(facts(**kw), POLICY) == expected


def test_P2_handler_may_raise_but_never_lower_the_severity():
    assert severity(facts(severity_raised="medium"), POLICY) == "medium"
    assert severity(facts(severity_raised="severe"), POLICY) == "severe"
    assert severity(facts(loss_amount=D("100"), severity_raised="light"), POLICY) == "severe"


@pytest.mark.parametrize(
    ("kind", "kw", "fine", "points"),
    [
        ("internal", {}, "50.00", -2),
        ("internal", {"bad_attitude": True}, "100.00", -5),
        ("internal", {"loss_amount": D("100")}, "200.00", -10),
        ("internal", {"loss_amount": D("499.99")}, "200.00", -10),
        ("internal", {"loss_amount": D("500.00")}, "200.00", -20),  # 500 or more -> -20
        ("internal", {"customer_lost": True}, "200.00", -20),
        ("external", {}, "50.00", -2),
        ("external", {"delay_days": 5}, "100.00", -5),
        ("external", {"loss_amount": D("800")}, "200.00", -20),
    ],
)
def test_P1_matrix(kind, kw, fine, points):
    p1 = by_rule(assess(facts(kind=kind, **kw), POLICY))[("P1", "fine")]
    assert (p1.fine, p1.points, p1.multiplier) == (D(fine), points, 1)


def test_P3_at_least_fines_take_the_handlers_higher_amount():
    external_light = by_rule(assess(facts(kind="external", handler_fine=D("80.00")), POLICY))[("P1", "fine")]
    assert external_light.fine == D("80.00")
    lower = by_rule(assess(facts(kind="external", handler_fine=D("30.00")), POLICY))[("P1", "fine")]
    assert lower.fine == D("50.00")
    internal_light_is_fixed = by_rule(assess(facts(handler_fine=D("80.00")), POLICY))[("P1", "fine")]
    assert internal_light_is_fixed.fine == D("50.00")
    internal_severe = by_rule(assess(facts(loss_amount=D("10"), handler_fine=D("350.00")), POLICY))[("P1", "fine")]
    assert internal_severe.fine == D("350.00")


def test_P4_P5_P7_worked_example_from_the_issue():
    """External, loss 800 CNY, against an individual with a supervisor, second round:
    fine 200 x2 = 400, points -20 x2 = -40, loss recovery 800 (not doubled), supervisor 20% of 400 = 80."""
    lines = by_rule(assess(facts(kind="external", loss_amount=D("800.00"), target_staff_id="S1",
                                 supervisor_id="SUP", second_round=True), POLICY))
    p1, p4, p5 = lines[("P1", "fine")], lines[("P4", "loss_recovery")], lines[("P5", "fine")]
    assert (p1.staff_id, p1.fine, p1.points, p1.multiplier) == ("S1", D("400.00"), -40, 2)
    assert (p4.staff_id, p4.fine, p4.points) == ("S1", D("800.00"), 0)
    assert (p5.staff_id, p5.fine, p5.points) == ("SUP", D("80.00"), 0)
    assert all(l.needs_approval for l in lines.values())  # P9: severe waits for the general manager


def test_P5_joint_liability_rounds_to_the_cent():
    lines = by_rule(assess(facts(kind="external", handler_fine=D("77.77"), target_staff_id="S1",
                                 supervisor_id="SUP"), POLICY))
    assert lines[("P5", "fine")].fine == D("15.55")  # 20% of 77.77 = 15.554


def test_P4_no_loss_recovery_from_a_team_or_a_manager():
    lines = by_rule(assess(facts(kind="external", loss_amount=D("800"), target_team_id="T1"), POLICY))
    assert ("P4", "loss_recovery") not in lines and ("P5", "fine") not in lines
    assert lines[("P1", "fine")].team_id == "T1"


def test_P6_obstruction_at_least_200_and_grave_recommends_dismissal():
    lines = by_rule(assess(facts(obstruction=True, target_staff_id="S1"), POLICY))
    assert lines[("P6", "fine")].fine == D("200.00")
    assert not lines[("P6", "fine")].needs_approval  # a light complaint: posts automatically
    grave = by_rule(assess(facts(obstruction=True, obstruction_grave=True, target_staff_id="S1"), POLICY))
    assert grave[("P6", "dismissal")].needs_approval and grave[("P6", "dismissal")].fine == D("0.00")


def test_P7_second_round_doubles_every_fine_and_point():
    light = by_rule(assess(facts(second_round=True, obstruction=True), POLICY))
    assert (light[("P1", "fine")].fine, light[("P1", "fine")].points) == (D("100.00"), -4)
    assert light[("P6", "fine")].fine == D("400.00")


def test_P8_who_pays_staff_then_team_then_manager():
    assert by_rule(assess(facts(target_staff_id="S1", target_team_id="T1"), POLICY))[("P1", "fine")].staff_id == "S1"
    assert by_rule(assess(facts(target_team_id="T1"), POLICY))[("P1", "fine")].team_id == "T1"
    assert by_rule(assess(facts(), POLICY))[("P1", "fine")].staff_id == "HEAD"
    with pytest.raises(NoResponsibleParty):
        assess(facts(target_manager_id=None), POLICY)


def test_P9_light_and_medium_post_automatically():
    assert not any(l.needs_approval for l in assess(facts(bad_attitude=True), POLICY))

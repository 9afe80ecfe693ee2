"""The versioned policy file: the shipped version reproduces POLICY.md, versions resolve by business
date, and every class of mistake in a policy file is reported with the file and the dotted key.

The expected numbers below are written out by hand from POLICY.md, never read back from the YAML.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from complaint_ops import cli, settings
from complaint_ops.errors import PolicyError, UserError
from complaint_ops.policy import (
    SECTIONS,
    PenaltyCell,
    PolicyBook,
    load_policy,
    parse_policy,
    parse_policy_text,
)

CASES = Path(__file__).parent / "policy_cases"
SHIPPED = settings.DEFAULT_HOME / "policy" / "complaint_policy.yaml"
D = dt.date

# POLICY.md, by hand. Also the base that the bad-file cases below mutate.
POLICY_MD = {
    "deadlines_wd": {"I1": 1, "I2": 1, "I3": 2, "E1": 1, "E2": 1, "E3": 1, "E4": 1},
    "overdue": {"breach_fine": "50.00", "daily_fine": "50.00", "points": 0},
    "penalties": {
        "internal": {
            "light": {"fine": "50.00", "points": -2, "fine_is_minimum": False},
            "medium": {"fine": "100.00", "points": -5, "fine_is_minimum": False},
            "severe": {"fine": "200.00", "points": -10, "fine_is_minimum": True},
        },
        "external": {
            "light": {"fine": "50.00", "points": -2, "fine_is_minimum": True},
            "medium": {"fine": "100.00", "points": -5, "fine_is_minimum": True},
            "severe": {"fine": "200.00", "points": -10, "fine_is_minimum": True},
        },
    },
    "severity": {
        "severe_loss_threshold": "500.00",
        "severe_points_small_loss": -10,
        "severe_points_large_loss": -20,
        "medium_repeat_count": 3,
        "medium_repeat_window_days": 180,
        "medium_delay_days": 3,
    },
    "individual": {"loss_recovery": True, "supervisor_joint_rate": "0.2"},
    "obstruction": {"min_fine": "200.00", "points": 0, "dismissal_when_grave": True},
    "second_round": {"multiplier": 2, "opens_after_days": 30, "due_wd": 5},
    "approval": {"proposed_severities": ["severe"], "dismissal_proposed": True, "waived_explanation_proposed": True},
    "follow_ups": {"assignment_due_wd": 1, "first_revisit_days": 3, "revisit_months": [1, 2, 3]},
    "collective": {"min_customers": 3, "window_days": 7},
    "reports": {
        "digest_lookahead_wd": 3,
        "monthly_on_first_working_day": True,
        "half_year_months": [6, 12],
        "half_year_within_days": 10,
    },
}


def version(vid="v1", start="2021-12-16", end=None, **changes) -> dict:
    """A valid version (POLICY.md numbers) with optional changes given as dotted paths -> value."""
    data = {"version": vid, "effective_from": start, **copy.deepcopy(POLICY_MD)}
    if end is not None:
        data["effective_to"] = end
    for path, value in changes.items():
        set_path(data, path, value)
    return data


DELETE = object()


def set_path(data: dict, dotted: str, value) -> None:
    *parents, last = dotted.split(".")
    for key in parents:
        data = data[key]
    if value is DELETE:
        del data[last]
    else:
        data[last] = value


def write(tmp_path: Path, doc, name="policy.yaml") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    return str(info.value).splitlines()


@pytest.fixture(scope="module")
def shipped():
    return load_policy(SHIPPED).in_force(D(2026, 3, 2))


# --- the shipped policy reproduces POLICY.md ------------------------------------------------------


def test_shipped_policy_has_one_version_from_the_primary_document_date():
    book = load_policy(SHIPPED)
    assert len(book.versions) == 1
    assert book.versions[0].effective_from == D(2021, 12, 16)
    assert book.versions[0].effective_to is None
    assert book.end_of(book.versions[0]) is None  # open-ended


def test_I1_I3_E1_E4_shipped_stage_deadlines_in_working_days(shipped):
    d = shipped.deadlines_wd
    assert (d.I1, d.I2, d.I3) == (1, 1, 2)
    assert (d.E1, d.E2, d.E3, d.E4) == (1, 1, 1, 1)
    assert d.for_stage("I3") == 2
    with pytest.raises(ValueError):
        d.for_stage("X9")


def test_O1_shipped_overdue_is_50_for_the_breach_then_50_per_working_day(shipped):
    assert shipped.overdue.breach_fine == Decimal("50.00")
    assert shipped.overdue.daily_fine == Decimal("50.00")
    assert shipped.overdue.points == 0


@pytest.mark.parametrize(
    "kind, severity, fine, points, at_least",
    [
        ("internal", "light", "50", -2, False),
        ("internal", "medium", "100", -5, False),
        ("internal", "severe", "200", -10, True),
        ("external", "light", "50", -2, True),
        ("external", "medium", "100", -5, True),
        ("external", "severe", "200", -10, True),
    ],
)
def test_P1_shipped_matrix_reproduces_policy_md(shipped, kind, severity, fine, points, at_least):
    cell = shipped.penalty(kind, severity)
    assert cell == PenaltyCell(fine=Decimal(fine), points=points, fine_is_minimum=at_least)
    assert isinstance(cell.fine, Decimal) and cell.fine.as_tuple().exponent == -2  # exact fen
    assert type(cell.points) is int


def test_P1_penalty_rejects_an_unknown_kind_or_severity(shipped):
    with pytest.raises(ValueError, match="kind"):
        shipped.penalty("customer", "light")
    with pytest.raises(ValueError, match="severity"):
        shipped.penalty("internal", "grave")


def test_P1_severe_points_by_loss_below_or_from_500(shipped):
    s = shipped.severity
    assert s.severe_loss_threshold == Decimal("500")
    assert (s.severe_points_small_loss, s.severe_points_large_loss) == (-10, -20)


def test_P2_R2_medium_from_3_repeats_in_180_days_or_3_days_delay(shipped):
    s = shipped.severity
    assert (s.medium_repeat_count, s.medium_repeat_window_days, s.medium_delay_days) == (3, 180, 3)


def test_P4_P5_individual_bears_loss_and_supervisor_pays_20_percent(shipped):
    assert shipped.individual.loss_recovery is True
    assert shipped.individual.supervisor_joint_rate == Decimal("0.20")
    assert isinstance(shipped.individual.supervisor_joint_rate, Decimal)


def test_P6_obstruction_at_least_200_and_dismissal_when_grave(shipped):
    o = shipped.obstruction
    assert (o.min_fine, o.points, o.dismissal_when_grave) == (Decimal("200"), 0, True)


def test_P7_S1_second_round_doubles_opens_after_30_days_due_in_5_wd(shipped):
    r = shipped.second_round
    assert (r.multiplier, r.opens_after_days, r.due_wd) == (2, 30, 5)


def test_P9_P10_severe_dismissal_and_waived_explanation_wait_for_approval(shipped):
    a = shipped.approval
    assert a.proposed_severities == ("severe",)
    assert a.severity_needs_approval("severe") and not a.severity_needs_approval("medium")
    assert a.dismissal_proposed is True and a.waived_explanation_proposed is True


def test_F1_F2_follow_ups_revisits_at_3_days_and_1_2_3_months(shipped):
    f = shipped.follow_ups
    assert (f.assignment_due_wd, f.first_revisit_days, f.revisit_months) == (1, 3, (1, 2, 3))


def test_R3_collective_is_3_customers_within_7_days(shipped):
    assert (shipped.collective.min_customers, shipped.collective.window_days) == (3, 7)


def test_D1_D2_D4_reports_lookahead_monthly_and_half_year(shipped):
    r = shipped.reports
    assert r.digest_lookahead_wd == 3
    assert r.monthly_on_first_working_day is True
    assert r.half_year_months == (6, 12) and r.half_year_within_days == 10


def test_shipped_parameters_are_exactly_policy_md_and_nothing_else(shipped):
    assert shipped.parameters() == POLICY_MD
    assert tuple(shipped.parameters()) == SECTIONS


def test_shipped_policy_is_in_force_on_backfill_dates_and_not_before_2021_12_16():
    book = load_policy(SHIPPED)
    assert book.in_force(D(2021, 12, 16)).version == book.versions[0].version
    assert book.in_force(D(2025, 6, 30)) is book.versions[0]
    with pytest.raises(PolicyError, match="2021-12-15"):
        book.in_force(D(2021, 12, 15))


def test_load_policy_defaults_to_settings_policy_path(monkeypatch, tmp_path):
    path = write(tmp_path, {"versions": [version("from-env")]})
    monkeypatch.setenv("COMPLAINT_OPS_POLICY", str(path))
    assert load_policy().versions[0].version == "from-env"


def test_load_policy_rereads_a_changed_file(tmp_path):
    path = write(tmp_path, {"versions": [version("first")]})
    book = load_policy(path)
    assert load_policy(path) is book  # cached
    write(tmp_path, {"versions": [version("second-longer-id")]})
    assert load_policy(path).versions[0].version == "second-longer-id"


# --- versions by business date --------------------------------------------------------------------


@pytest.fixture
def two_versions(tmp_path):
    """v2 (2025) listed first on purpose: the book sorts by effective_from."""
    v2 = version("v2", "2025-01-01", **{"overdue.breach_fine": "80.00"})
    v1 = version("v1", "2021-12-16")
    return load_policy(write(tmp_path, {"versions": [v2, v1]}))


def test_O1_in_force_applies_the_version_of_the_business_date(two_versions):
    assert [v.version for v in two_versions.versions] == ["v1", "v2"]
    assert two_versions.in_force(D(2021, 12, 16)).version == "v1"
    assert two_versions.in_force(D(2024, 12, 31)).overdue.breach_fine == Decimal("50.00")
    assert two_versions.in_force(D(2025, 1, 1)).overdue.breach_fine == Decimal("80.00")
    assert two_versions.in_force(D(2040, 1, 1)).version == "v2"


def test_in_force_before_the_first_version_names_the_date_and_file(two_versions):
    with pytest.raises(PolicyError) as info:
        two_versions.in_force(D(2020, 1, 1))
    assert "2020-01-01" in str(info.value) and str(two_versions.source) in str(info.value)
    assert isinstance(info.value, UserError)


def test_end_of_is_the_day_before_the_next_version(two_versions):
    v1, v2 = two_versions.versions
    assert two_versions.end_of(v1) == D(2024, 12, 31)
    assert two_versions.end_of(v2) is None


def test_in_force_in_a_gap_after_an_explicit_effective_to_is_an_error(tmp_path):
    book = load_policy(write(tmp_path, {"versions": [version("v1", end="2022-12-31"), version("v2", "2024-01-01")]}))
    assert book.in_force(D(2022, 12, 31)).version == "v1"
    with pytest.raises(PolicyError, match="no policy version is in force on 2023-06-01"):
        book.in_force(D(2023, 6, 1))


def test_versions_between_lists_every_version_a_backfill_range_touches(two_versions):
    assert [v.version for v in two_versions.versions_between(D(2024, 12, 1), D(2025, 1, 5))] == ["v1", "v2"]
    assert [v.version for v in two_versions.versions_between(D(2022, 1, 1), D(2024, 12, 31))] == ["v1"]
    assert [v.version for v in two_versions.versions_between(D(2025, 1, 1), D(2025, 1, 1))] == ["v2"]
    assert two_versions.versions_between(D(2000, 1, 1), D(2001, 1, 1)) == ()
    with pytest.raises(ValueError):
        two_versions.versions_between(D(2025, 1, 2), D(2025, 1, 1))


def test_in_force_refuses_a_datetime_the_caller_must_pick_the_business_date(two_versions):
    with pytest.raises(TypeError):
        two_versions.in_force(dt.datetime(2025, 1, 1, 9, 0))


def test_get_finds_a_version_by_id_for_ledger_entries(two_versions):
    assert two_versions.get("v2").effective_from == D(2025, 1, 1)
    with pytest.raises(PolicyError, match="'v9'"):
        two_versions.get("v9")


def test_adjacent_versions_with_explicit_effective_to_are_valid(tmp_path):
    book = load_policy(write(tmp_path, {"versions": [version("v1", end="2024-12-31"), version("v2", "2025-01-01")]}))
    assert book.in_force(D(2024, 12, 31)).version == "v1" and book.in_force(D(2025, 1, 1)).version == "v2"


def test_parse_policy_accepts_loaded_data_and_yaml_dates():
    book = parse_policy({"versions": [version(start=D(2021, 12, 16))]}, "<memory>")
    assert isinstance(book, PolicyBook) and book.source == "<memory>"
    assert book.versions[0].effective_from == D(2021, 12, 16)


# --- every class of mistake names the file and the key ---------------------------------------------

FINE = "versions[0].penalties.external.medium.fine"


@pytest.mark.parametrize(
    "changes, key, message",
    [
        # L1 money: exact, non-negative, at most 2 decimals, never a float or boolean
        ({"penalties.external.medium.fine": "-5"}, FINE, "must be a non-negative decimal amount, got '-5'"),
        ({"penalties.external.medium.fine": -5}, FINE, "must be a non-negative decimal amount, got '-5'"),
        ({"penalties.external.medium.fine": "50.005"}, FINE, "at most 2 decimal places, got '50.005'"),
        ({"penalties.external.medium.fine": "NaN"}, FINE, "must be a non-negative decimal amount"),
        ({"penalties.external.medium.fine": "1e3"}, FINE, "must be a non-negative decimal amount"),
        ({"penalties.external.medium.fine": 100.0}, FINE, "got float 100.0"),
        ({"penalties.external.medium.fine": 0.1 + 0.2}, FINE, "got float 0.30000000000000004"),
        ({"penalties.external.medium.fine": True}, FINE, "got boolean True"),
        ({"overdue.daily_fine": None}, "versions[0].overdue.daily_fine", "got nothing"),
        ({"severity.severe_loss_threshold": "five hundred"}, "versions[0].severity.severe_loss_threshold", "non-negative decimal"),
        # points: integers <= 0, a boolean is not an integer
        ({"penalties.internal.light.points": 2}, "versions[0].penalties.internal.light.points", "integer <= 0"),
        ({"penalties.internal.light.points": False}, "versions[0].penalties.internal.light.points", "got boolean False"),
        ({"overdue.points": "-1"}, "versions[0].overdue.points", "got string '-1'"),
        ({"severity.severe_points_large_loss": -20.0}, "versions[0].severity.severe_points_large_loss", "integer <= 0"),
        # working-day and day counts: positive integers
        ({"deadlines_wd.I3": 0}, "versions[0].deadlines_wd.I3", "must be a positive integer, got integer 0"),
        ({"deadlines_wd.E4": True}, "versions[0].deadlines_wd.E4", "got boolean True"),
        ({"deadlines_wd.E1": "1"}, "versions[0].deadlines_wd.E1", "got string '1'"),
        ({"second_round.due_wd": -5}, "versions[0].second_round.due_wd", "positive integer"),
        ({"collective.window_days": 1.5}, "versions[0].collective.window_days", "positive integer"),
        ({"collective.min_customers": 1}, "versions[0].collective.min_customers", "integer >= 2"),
        # rate between 0 and 1, multiplier >= 1
        ({"individual.supervisor_joint_rate": "1.5"}, "versions[0].individual.supervisor_joint_rate", "between 0 and 1"),
        ({"individual.supervisor_joint_rate": "20"}, "versions[0].individual.supervisor_joint_rate", "between 0 and 1"),
        ({"individual.supervisor_joint_rate": 0.2}, "versions[0].individual.supervisor_joint_rate", "got float 0.2"),
        ({"second_round.multiplier": 0}, "versions[0].second_round.multiplier", "integer >= 1"),
        ({"second_round.multiplier": "2"}, "versions[0].second_round.multiplier", "integer >= 1"),
        # flags and lists
        ({"individual.loss_recovery": "yes"}, "versions[0].individual.loss_recovery", "true or false"),
        ({"penalties.external.light.fine_is_minimum": 1}, "versions[0].penalties.external.light.fine_is_minimum", "true or false"),
        ({"follow_ups.revisit_months": []}, "versions[0].follow_ups.revisit_months", "non-empty"),
        ({"follow_ups.revisit_months": [0, 1]}, "versions[0].follow_ups.revisit_months", "integers >= 1"),
        ({"follow_ups.revisit_months": [2, 1]}, "versions[0].follow_ups.revisit_months", "strictly increasing"),
        ({"follow_ups.revisit_months": "1,2,3"}, "versions[0].follow_ups.revisit_months", "got string"),
        ({"reports.half_year_months": [6, 13]}, "versions[0].reports.half_year_months", "integers 1..12"),
        ({"approval.proposed_severities": ["grave"]}, "versions[0].approval.proposed_severities", "severities"),
        ({"approval.proposed_severities": ["severe", "severe"]}, "versions[0].approval.proposed_severities", "distinct"),
        # unknown and missing keys at every level, sections of the wrong shape
        ({"overdue.dayly_fine": "50.00"}, "versions[0].overdue.dayly_fine", "unknown key (expected one of: breach_fine, daily_fine, points)"),
        ({"penalties.internal.grave": {}}, "versions[0].penalties.internal.grave", "unknown key"),
        ({"notes": "x"}, "versions[0].notes", "unknown key"),
        ({"overdue.daily_fine": DELETE}, "versions[0].overdue.daily_fine", "is missing"),
        ({"penalties.external.severe": DELETE}, "versions[0].penalties.external.severe", "is missing"),
        ({"reports": DELETE}, "versions[0].reports", "is missing"),
        ({"effective_from": DELETE}, "versions[0].effective_from", "is missing"),
        ({"overdue": 50}, "versions[0].overdue", "must be a mapping with keys breach_fine, daily_fine, points"),
        # version metadata
        ({"version": 1}, "versions[0].version", "must be a non-empty string"),
        ({"version": ""}, "versions[0].version", "must be a non-empty string"),
        ({"effective_from": "16/12/2021"}, "versions[0].effective_from", "must be a date (YYYY-MM-DD)"),
        ({"effective_from": "2021-02-30"}, "versions[0].effective_from", "must be a date"),
        ({"effective_from": dt.datetime(2021, 12, 16, 8, 0)}, "versions[0].effective_from", "without a time"),
        ({"effective_to": "2021-12-01"}, "versions[0].effective_to", "2021-12-01 is before effective_from 2021-12-16"),
    ],
)
def test_each_validation_error_names_file_and_key(tmp_path, changes, key, message):
    path = write(tmp_path, {"versions": [version(**changes)]})
    problems = problems_of(path)
    assert any(p.startswith(f"{path}: {key}: ") and message in p for p in problems), problems


def test_L1_negative_fine_message_is_exactly_file_key_and_value(tmp_path):
    path = write(tmp_path, {"versions": [version(**{"penalties.external.medium.fine": "-5"})]})
    assert problems_of(path) == [f"{path}: {FINE}: must be a non-negative decimal amount, got '-5'"]


def test_unquoted_yaml_float_money_is_rejected_with_a_hint_to_quote(tmp_path):
    text = SHIPPED.read_text(encoding="utf-8").replace('breach_fine: "50.00"', "breach_fine: 50.00")
    [problem] = problems_of(write(tmp_path, text))
    assert "versions[0].overdue.breach_fine" in problem and "quote it" in problem


def test_integer_money_is_accepted_as_whole_yuan(tmp_path):
    book = load_policy(write(tmp_path, {"versions": [version(**{"overdue.breach_fine": 50})]}))
    assert book.versions[0].overdue.breach_fine == Decimal("50.00")


def test_unquoted_version_id_read_as_a_date_is_rejected(tmp_path):
    text = SHIPPED.read_text(encoding="utf-8").replace('version: "2021-12-16"', "version: 2021-12-16")
    [problem] = problems_of(write(tmp_path, text))
    assert "versions[0].version: must be a non-empty string" in problem and "date" in problem


@pytest.mark.parametrize(
    "versions, key, message",
    [
        ([version("v1"), version("v1", "2025-01-01")], "versions[1].version", "duplicate version id 'v1' (also versions[0])"),
        ([version("v1"), version("v2")], "versions[1].effective_from", "versions overlap"),
        (
            [version("v1", end="2025-01-01"), version("v2", "2025-01-01")],
            "versions[0].effective_to",
            "versions overlap: 2025-01-01 runs into versions[1]",
        ),
        ([version("v2", "2025-01-01"), version("v1", end="2025-06-30")], "versions[1].effective_to", "runs into versions[0] ('v2')"),
    ],
)
def test_version_ranges_must_not_overlap_and_ids_must_be_unique(tmp_path, versions, key, message):
    path = write(tmp_path, {"versions": versions})
    problems = problems_of(path)
    assert any(p.startswith(f"{path}: {key}: ") and message in p for p in problems), problems


@pytest.mark.parametrize(
    "doc, message",
    [
        ({"versions": []}, "versions: must list at least one version"),
        ({"versions": {"v1": {}}}, "versions: must be a list of versions, got a mapping"),
        ({}, "versions: is missing"),
        ({"versions": [version()], "policy": 1}, "policy: unknown key (expected only: versions)"),
        ("", "must be a mapping with a 'versions' list, got an empty file"),
        ("just text", "must be a mapping with a 'versions' list, got string 'just text'"),
        ({"versions": ["v1"]}, "versions[0]: must be a mapping"),
    ],
)
def test_file_level_errors_name_the_file(tmp_path, doc, message):
    path = write(tmp_path, doc)
    assert any(p.startswith(f"{path}: ") and message in p for p in problems_of(path))


def test_case_file_not_a_mapping():
    path = CASES / "not_a_mapping.yaml"
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}: must be a mapping with a 'versions' list, got a list")


def test_case_file_empty_versions():
    path = CASES / "empty_versions.yaml"
    assert problems_of(path) == [f"{path}: versions: must list at least one version"]


def test_case_file_yaml_syntax_error_names_the_line():
    path = CASES / "syntax_error.yaml"
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}: line 6, column 5: invalid YAML")


def test_case_file_duplicate_yaml_key_names_the_line():
    path = CASES / "duplicate_key.yaml"
    problems = problems_of(path)
    assert f"{path}: line 3: duplicate key 'versions' (YAML would silently keep the last one)" in problems


def test_duplicate_key_inside_a_section_names_the_key(tmp_path):
    text = SHIPPED.read_text(encoding="utf-8").replace("points: 0}", 'points: 0, breach_fine: "60.00"}', 1)
    assert any("duplicate key 'breach_fine'" in p for p in problems_of(write(tmp_path, text)))


def test_a_yaml_merge_that_overrides_keys_is_not_a_duplicate(tmp_path):
    # JSON is YAML flow style: v2 reuses v1 with << and overrides its id and start on purpose.
    text = (
        f"versions:\n  - &v1 {json.dumps(version('v1'))}\n"
        "  - <<: *v1\n    version: v2\n    effective_from: 2025-01-01\n"
    )
    book = load_policy(write(tmp_path, text))
    assert [v.version for v in book.versions] == ["v1", "v2"]
    assert book.versions[0].fingerprint == book.versions[1].fingerprint


def test_all_errors_are_reported_together_one_per_line():
    path = CASES / "many_errors.yaml"
    problems = problems_of(path)
    assert all(p.startswith(f"{path}: ") for p in problems)
    expected = [
        "policy_name: unknown key",
        "versions[0].effective_to: 2021-12-01 is before effective_from 2021-12-16",
        "versions[0].deadlines_wd.I1: must be a positive integer",
        "versions[0].deadlines_wd.E4: must be a positive integer, got boolean True",
        "versions[0].overdue.breach_fine: must be a quoted decimal",
        "versions[0].overdue.daily_fine: must be a non-negative decimal amount, got '-50'",
        "versions[0].penalties: is missing",
        "versions[0].reports: is missing",
        "versions[1].version: duplicate version id 'a'",
        "versions[1].effective_from: must be a date",
        "versions[1].extra: unknown key",
        "versions[1].deadlines_wd: is missing",
    ]
    for fragment in expected:
        assert any(fragment in p for p in problems), fragment
    assert len(problems) >= len(expected)


def test_missing_policy_file_names_the_file(tmp_path):
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(PolicyError, match="nowhere.yaml: cannot read the policy file"):
        load_policy(path)


def test_parse_policy_text_reports_with_the_given_source():
    with pytest.raises(PolicyError, match=r"^<text>: versions: must list at least one version$"):
        parse_policy_text("versions: []\n", "<text>")


# --- fingerprint ---------------------------------------------------------------------------------


def test_L1_fingerprint_is_sha256_of_canonical_parameters(shipped):
    canonical = json.dumps(POLICY_MD, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert shipped.fingerprint == hashlib.sha256(canonical.encode()).hexdigest()


def test_L1_fingerprint_is_stable_across_loads_and_formatting(tmp_path, shipped):
    block = write(tmp_path, {"versions": [version()]}, "block.yaml")
    flow = write(tmp_path, yaml.safe_dump({"versions": [version()]}, default_flow_style=True), "flow.yaml")
    same = version(**{"overdue.breach_fine": 50, "individual.supervisor_joint_rate": "0.20"})  # 50 == "50.00"
    whole = write(tmp_path, {"versions": [same]}, "whole.yaml")
    prints = {load_policy(p).versions[0].fingerprint for p in (block, flow, whole, SHIPPED)}
    assert prints == {shipped.fingerprint}


def test_L1_fingerprint_ignores_id_dates_and_description(tmp_path, shipped):
    other = version("renamed", "2030-01-01", end="2030-12-31")
    other["description"] = "same numbers"
    assert parse_policy({"versions": [other]}, "x").versions[0].fingerprint == shipped.fingerprint


@pytest.mark.parametrize(
    "path, value",
    [
        ("overdue.breach_fine", "50.01"),
        ("penalties.external.severe.points", -11),
        ("penalties.internal.light.fine_is_minimum", True),
        ("deadlines_wd.E2", 2),
        ("individual.supervisor_joint_rate", "0.25"),
        ("follow_ups.revisit_months", [1, 2, 3, 6]),
        ("approval.proposed_severities", ["medium", "severe"]),
    ],
)
def test_L1_fingerprint_changes_when_a_number_changes(shipped, path, value):
    book = parse_policy({"versions": [version(**{path: value})]}, "x")
    assert book.versions[0].fingerprint != shipped.fingerprint


# --- CLI -----------------------------------------------------------------------------------------


def test_cli_validate_shipped_policy_ok(capsys):
    assert cli.main(["policy", "validate", str(SHIPPED)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"OK: 1 version in {SHIPPED}, covering 2021-12-16 onwards")
    assert err == ""


def test_cli_validate_two_versions_ok(capsys, tmp_path):
    path = write(tmp_path, {"versions": [version("v1"), version("v2", "2025-01-01")]})
    assert cli.main(["policy", "validate", str(path)]) == 0
    assert capsys.readouterr().out.startswith("OK: 2 versions in ")


def test_cli_validate_bad_file_lists_every_problem_on_stderr_exit_2(capsys):
    path = CASES / "many_errors.yaml"
    assert cli.main(["policy", "validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert lines[0].startswith(f"complaint-ops: error: {path}: ") and "problem(s)" in lines[0]
    assert f"  {path}: versions[0].overdue.daily_fine: must be a non-negative decimal amount, got '-50'" in lines
    assert len(lines) == 1 + len(problems_of(path))


@pytest.mark.parametrize("name, fragment", [("syntax_error.yaml", "line 6"), ("not_a_mapping.yaml", "must be a mapping")])
def test_cli_validate_case_files_exit_2(capsys, name, fragment):
    assert cli.main(["policy", "validate", str(CASES / name)]) == 2
    assert fragment in capsys.readouterr().err


def test_cli_validate_missing_file_exit_2(capsys, tmp_path):
    assert cli.main(["policy", "validate", str(tmp_path / "none.yaml")]) == 2
    assert "cannot read the policy file" in capsys.readouterr().err


def test_cli_show_date_json_prints_the_version_in_force(capsys, tmp_path):
    path = write(tmp_path, {"versions": [version("v1"), version("v2", "2025-01-01", **{"overdue.breach_fine": "80"})]})
    assert cli.main(["policy", "show", "--file", str(path), "--date", "2024-12-31", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["version"] == "v1" and shown["effective_from"] == "2021-12-16"
    assert shown["overdue"]["breach_fine"] == "50.00"
    assert cli.main(["policy", "show", "--file", str(path), "--date", "2025-01-01", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["overdue"]["breach_fine"] == "80.00"


def test_cli_show_yaml_is_a_valid_version_again(capsys, shipped):
    assert cli.main(["policy", "show", "--file", str(SHIPPED), "--date", "2025-03-01"]) == 0
    shown = yaml.safe_load(capsys.readouterr().out)
    assert shown.pop("fingerprint") == shipped.fingerprint
    shown.pop("effective_to")  # null: open-ended
    assert parse_policy({"versions": [shown]}, "shown").versions[0].fingerprint == shipped.fingerprint


def test_cli_show_date_before_the_first_version_exit_2(capsys):
    assert cli.main(["policy", "show", "--file", str(SHIPPED), "--date", "2020-01-01"]) == 2
    assert "no policy version is in force on 2020-01-01" in capsys.readouterr().err


def test_cli_show_default_summarises_versions_and_today(capsys, tmp_path):
    path = write(tmp_path, {"versions": [version("v1", end="2021-12-31"), version("v2", "2022-01-01")]})
    assert cli.main(["policy", "show", "--file", str(path), "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [v["version"] for v in shown["versions"]] == ["v1", "v2"]
    assert shown["versions"][0]["effective_until"] == "2021-12-31" and shown["versions"][1]["effective_until"] is None
    assert shown["in_force_today"]["version"] == "v2"
    assert shown["today"] == dt.datetime.now(settings.business_timezone()).date().isoformat()


def test_cli_show_default_without_a_version_for_today_exit_1(capsys, tmp_path):
    path = write(tmp_path, {"versions": [version("future", "2999-01-01")]})
    assert cli.main(["policy", "show", "--file", str(path)]) == 1
    out, err = capsys.readouterr()
    assert yaml.safe_load(out)["in_force_today"] is None
    assert "no policy version is in force" in err


def test_cli_show_uses_the_env_policy_file_by_default(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("COMPLAINT_OPS_POLICY", str(write(tmp_path, {"versions": [version("env-v")]})))
    assert cli.main(["policy", "show", "--date", "2024-01-01", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == "env-v"


def test_cli_show_rejects_a_bad_date_as_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["policy", "show", "--date", "2024-13-01"])
    assert info.value.code == 2
    assert "is not a date" in capsys.readouterr().err

"""The versioned policy file: every number of POLICY.md is a parameter with an effective date.

A run for business date D applies `load_policy().in_force(D)`, so a backfill of an old date uses the
rules of that time. The file is validated strictly and every problem is reported at once (one line
each, naming the file and the dotted key), because a misread number would post wrong fines to an
append-only ledger (L1).

Input types (**Decision**): money is a quoted string such as "50.00" or an integer, never a YAML
float (an unquoted 50.00 is a binary float, and 0.1+0.2 style artefacts are not the amount the
author meant); at most 2 decimal places, never negative. The joint-liability rate is likewise a
quoted string ("0.20") or 0/1. A boolean is never accepted as a number. Dates are YAML dates or
quoted ISO dates, without a time. Duplicate keys are errors (YAML would silently keep the last one).

Version ranges: a version covers [effective_from, effective_to] when effective_to is given, else up
to the day before the next version starts (the last one is open-ended). Gaps are allowed (a date in
a gap has no policy and `in_force` says so); overlaps are not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field, fields, is_dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import yaml

from complaint_ops import settings
from complaint_ops.errors import PolicyError

KINDS = ("internal", "external")
SEVERITIES = ("light", "medium", "severe")
STAGES = ("I1", "I2", "I3", "E1", "E2", "E3", "E4")
CENT = Decimal("0.01")


# --- the sections (names and attributes are the API other modules read) ---------------------------


@dataclass(frozen=True)
class DeadlinesWD:
    """§3 I1–I3, E1–E4: working days each stage may take."""

    I1: int
    I2: int
    I3: int
    E1: int
    E2: int
    E3: int
    E4: int

    def for_stage(self, stage: str) -> int:
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r} (expected one of {', '.join(STAGES)})")
        return getattr(self, stage)


@dataclass(frozen=True)
class Overdue:
    """O1: breach_fine for the deadline's working day, then daily_fine per further working day open."""

    breach_fine: Decimal
    daily_fine: Decimal
    points: int


@dataclass(frozen=True)
class PenaltyCell:
    """One P1 cell; fine_is_minimum = "at least" (P3: the handler's higher amount wins)."""

    fine: Decimal
    points: int
    fine_is_minimum: bool


@dataclass(frozen=True)
class PenaltyRow:
    """The P1 cells of one complaint kind."""

    light: PenaltyCell
    medium: PenaltyCell
    severe: PenaltyCell


@dataclass(frozen=True)
class PenaltyMatrix:
    """P1: fine and points by complaint kind and severity."""

    internal: PenaltyRow
    external: PenaltyRow

    def cell(self, kind: str, severity: str) -> PenaltyCell:
        if kind not in KINDS:
            raise ValueError(f"unknown complaint kind {kind!r} (expected one of {', '.join(KINDS)})")
        if severity not in SEVERITIES:
            raise ValueError(f"unknown severity {severity!r} (expected one of {', '.join(SEVERITIES)})")
        return getattr(getattr(self, kind), severity)


@dataclass(frozen=True)
class SeverityRules:
    """P1 notes, P2, R2: the facts that set the lowest severity allowed."""

    severe_loss_threshold: Decimal  # a loss >= this is a large loss
    severe_points_small_loss: int
    severe_points_large_loss: int  # also when a customer is lost
    medium_repeat_count: int  # the n-th complaint about the same problem (included) is medium
    medium_repeat_window_days: int
    medium_delay_days: int


@dataclass(frozen=True)
class Individual:
    """P4/P5: a complaint against an individual."""

    loss_recovery: bool  # the individual bears the loss (a loss-recovery entry)
    supervisor_joint_rate: Decimal  # share of the individual's fine the supervisor also pays


@dataclass(frozen=True)
class Obstruction:
    """P6: hiding or distorting facts during an investigation."""

    min_fine: Decimal
    points: int
    dismissal_when_grave: bool


@dataclass(frozen=True)
class SecondRound:
    """P7 and S1: second-round investigation and complaint."""

    multiplier: int  # an int keeps multiplied points whole
    opens_after_days: int  # calendar days after an upheld complaint closes
    due_wd: int


@dataclass(frozen=True)
class Approval:
    """P9, P10: what is proposed and waits for the general manager instead of posting."""

    proposed_severities: tuple[str, ...]
    dismissal_proposed: bool
    waived_explanation_proposed: bool

    def severity_needs_approval(self, severity: str) -> bool:
        return severity in self.proposed_severities


@dataclass(frozen=True)
class FollowUps:
    """F1, F2: assignment and revisit orders after an external complaint closes."""

    assignment_due_wd: int
    first_revisit_days: int  # calendar days
    revisit_months: tuple[int, ...]  # calendar months after closing


@dataclass(frozen=True)
class Collective:
    """R3: this many different customers with the same problem within the window = collective."""

    min_customers: int
    window_days: int


@dataclass(frozen=True)
class Reports:
    """D1, D2, D4: digest lookahead, monthly statistics day, half-year review."""

    digest_lookahead_wd: int
    monthly_on_first_working_day: bool
    half_year_months: tuple[int, ...]
    half_year_within_days: int


SECTIONS = (
    "deadlines_wd", "overdue", "penalties", "severity", "individual", "obstruction",
    "second_round", "approval", "follow_ups", "collective", "reports",
)  # fmt: skip


@dataclass(frozen=True)
class PolicyVersion:
    """One version of the policy; `fingerprint` identifies its numbers (not its id or dates)."""

    version: str
    effective_from: dt.date
    effective_to: dt.date | None  # as written; PolicyBook.end_of gives the resolved end
    description: str | None
    deadlines_wd: DeadlinesWD
    overdue: Overdue
    penalties: PenaltyMatrix
    severity: SeverityRules
    individual: Individual
    obstruction: Obstruction
    second_round: SecondRound
    approval: Approval
    follow_ups: FollowUps
    collective: Collective
    reports: Reports
    fingerprint: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        canonical = json.dumps(self.parameters(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        object.__setattr__(self, "fingerprint", hashlib.sha256(canonical.encode("utf-8")).hexdigest())

    def penalty(self, kind: str, severity: str) -> PenaltyCell:
        """P1: the matrix cell for a complaint kind (internal/external) and severity."""
        return self.penalties.cell(kind, severity)

    def parameters(self) -> dict[str, Any]:
        """The sections as plain data (Decimal -> str, tuple -> list): what the fingerprint hashes."""
        return {name: _plain(getattr(self, name)) for name in SECTIONS}

    def to_dict(self) -> dict[str, Any]:
        """Metadata and parameters in file order; dates stay `date` objects."""
        head = {"version": self.version, "effective_from": self.effective_from, "effective_to": self.effective_to}
        if self.description is not None:
            head["description"] = self.description
        return {**head, **self.parameters()}


def _plain(value: Any) -> Any:
    if is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class PolicyBook:
    """All versions of a policy file, sorted by effective_from; `source` names the file in errors."""

    versions: tuple[PolicyVersion, ...]
    source: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "versions", tuple(sorted(self.versions, key=lambda v: v.effective_from)))

    def end_of(self, version: PolicyVersion) -> dt.date | None:
        """Last date `version` covers: its effective_to, else the day before the next starts, else None (open)."""
        if version.effective_to is not None:
            return version.effective_to
        later = [v.effective_from for v in self.versions if v.effective_from > version.effective_from]
        return min(later) - dt.timedelta(days=1) if later else None

    def in_force(self, day: dt.date) -> PolicyVersion:
        """The version covering business date `day`: a run for D applies the rules in force on D."""
        _require_date(day)
        for version in self.versions:
            end = self.end_of(version)
            if version.effective_from <= day and (end is None or day <= end):
                return version
        raise PolicyError(
            f"{self.source}: no policy version is in force on {day.isoformat()} (the file covers {self.coverage()})"
        )

    def versions_between(self, first: dt.date, last: dt.date) -> tuple[PolicyVersion, ...]:
        """Versions in force on some date of [first, last] (inclusive): what a backfill over the range applies."""
        _require_date(first)
        _require_date(last)
        if last < first:
            raise ValueError(f"versions_between: {last} is before {first}")
        out = []
        for version in self.versions:
            end = self.end_of(version)
            if version.effective_from <= last and (end is None or end >= first):
                out.append(version)
        return tuple(out)

    def get(self, version_id: str) -> PolicyVersion:
        """The version with this id (e.g. the one a ledger entry records)."""
        for version in self.versions:
            if version.version == version_id:
                return version
        raise PolicyError(f"{self.source}: no policy version {version_id!r}")

    def coverage(self) -> str:
        """Human-readable ranges, for error messages."""
        parts = []
        for v in self.versions:
            end = self.end_of(v)
            span = f"{v.effective_from} onwards" if end is None else f"{v.effective_from} to {end}"
            parts.append(f"{span} ({v.version!r})")
        return ", ".join(parts)


def _require_date(day: Any) -> None:
    """A business date, never a datetime: the caller decides the zone (see settings.business_timezone)."""
    if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
        raise TypeError(f"expected a business date (datetime.date), got {type(day).__name__} {day!r}")


# --- loading ------------------------------------------------------------------------------------

_CACHE: dict[str, tuple[tuple[int, int], PolicyBook]] = {}


def load_policy(path: str | Path | None = None) -> PolicyBook:
    """Read and validate a policy file (default `settings.policy_path()`); cached until the file changes."""
    path = Path(path) if path is not None else settings.policy_path()
    try:
        stat = path.stat()
        key = str(path.resolve())
        stamp = (stat.st_mtime_ns, stat.st_size)
        cached = _CACHE.get(key)
        if cached and cached[0] == stamp:
            return cached[1]
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read the policy file ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{path}: the policy file is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    book = parse_policy_text(text, path)
    _CACHE[key] = (stamp, book)
    return book


def clear_policy_cache() -> None:
    _CACHE.clear()


def parse_policy_text(text: str, source: str | Path) -> PolicyBook:
    """Parse YAML text; syntax errors stop at once (with line), everything else is collected."""
    problems = _Problems(source)
    loader = _StrictLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise PolicyError(f"{source}: {where}invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"{source}: invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    for line, key in loader.duplicates:
        problems.add(f"line {line}", f"duplicate key {key!r} (YAML would silently keep the last one)")
    book = _parse_book(data, problems)
    problems.raise_if_any()
    return book


def parse_policy(data: Any, source: str | Path) -> PolicyBook:
    """Validate already-loaded data (e.g. from YAML) into a PolicyBook; all problems in one PolicyError."""
    problems = _Problems(source)
    book = _parse_book(data, problems)
    problems.raise_if_any()
    return book


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that records duplicate mapping keys instead of keeping the last one."""

    def __init__(self, stream) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[int, Any]] = []

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # keys merged in with << may be overridden on purpose
            key = self.construct_object(key_node, deep=True)
            try:
                if key in seen:
                    self.duplicates.append((key_node.start_mark.line + 1, key))
                seen.add(key)
            except TypeError:
                pass  # unhashable key: the base constructor reports it
        return super().construct_mapping(node, deep=deep)


class _Problems:
    """Collects `file: key.path: message` lines so one run reports every problem."""

    def __init__(self, source: str | Path) -> None:
        self.source = str(source)
        self.lines: list[str] = []

    def add(self, at: str, message: str) -> None:
        self.lines.append(f"{self.source}: {at}: {message}" if at else f"{self.source}: {message}")

    def raise_if_any(self) -> None:
        if self.lines:
            raise PolicyError("\n".join(self.lines))


# --- validation: each parser takes (value, key path, problems) and returns a value or _BAD ----------

_BAD = object()
Parser = Callable[[Any, str, _Problems], Any]


class _Invalid(Exception):
    """Raised by a leaf check; becomes one problem line at the leaf's key path."""


def _leaf(check: Callable[[Any], Any]) -> Parser:
    def parse(value, at, problems):
        try:
            return check(value)
        except _Invalid as exc:
            problems.add(at, str(exc))
            return _BAD

    parse.__doc__ = check.__doc__
    return parse


def _describe(value: Any) -> str:
    kinds = {bool: "boolean", int: "integer", float: "float", str: "string", dict: "a mapping", list: "a list"}
    if value is None:
        return "nothing (empty value)"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{kinds.get(type(value), type(value).__name__)} {text}"


def _need_int(value: Any, what: str, ok: Callable[[int], bool]) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not ok(value):
        raise _Invalid(f"must be {what}, got {_describe(value)}")
    return value


_positive = _leaf(lambda v: _need_int(v, "a positive integer", lambda n: n >= 1))
_points = _leaf(lambda v: _need_int(v, "an integer <= 0 (points are deducted)", lambda n: n <= 0))
_multiplier = _leaf(lambda v: _need_int(v, "an integer >= 1", lambda n: n >= 1))
_at_least_two = _leaf(lambda v: _need_int(v, "an integer >= 2", lambda n: n >= 2))

_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@_leaf
def _flag(value):
    if not isinstance(value, bool):
        raise _Invalid(f"must be true or false, got {_describe(value)}")
    return value


def _decimal_text(value: Any, example: str) -> str:
    """The text of a str/int number; floats and booleans are refused (see the module docstring)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        hint = f' (quote it: "{value}" — YAML floats are inexact)' if isinstance(value, float) else ""
        raise _Invalid(f'must be a quoted decimal like "{example}" or an integer, got {_describe(value)}{hint}')
    return str(value)


@_leaf
def _money(value):
    text = _decimal_text(value, "50.00")
    if not _DECIMAL.fullmatch(text):
        raise _Invalid(f"must be a non-negative decimal amount, got {text!r}")
    amount = Decimal(text)
    if amount.as_tuple().exponent < -2:
        raise _Invalid(f"must have at most 2 decimal places, got {text!r}")
    return amount.quantize(CENT)


@_leaf
def _rate(value):
    text = _decimal_text(value, "0.20")
    if not _DECIMAL.fullmatch(text) or Decimal(text) > 1:
        raise _Invalid(f"must be a rate between 0 and 1, got {text!r}")
    return Decimal(text).normalize()


@_leaf
def _date(value):
    if isinstance(value, dt.datetime):
        raise _Invalid(f"must be a date (YYYY-MM-DD) without a time, got {value.isoformat(sep=' ')!r}")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise _Invalid(f"must be a date (YYYY-MM-DD), got {_describe(value)}")


@_leaf
def _text(value):
    if not isinstance(value, str) or not value.strip():
        hint = "quote it if YAML reads it as a number or date"
        raise _Invalid(f"must be a non-empty string ({hint}), got {_describe(value)}")
    return value


def _int_list(low: int, high: int | None) -> Parser:
    """A non-empty, strictly increasing list of integers in [low, high]."""
    span = f"{low}..{high}" if high is not None else f">= {low}"

    @_leaf
    def check(value):
        what = f"a non-empty, strictly increasing list of integers {span}"
        if not isinstance(value, list) or not value:
            raise _Invalid(f"must be {what}, got {_describe(value)}")
        for n in value:
            _need_int(n, what, lambda n: n >= low and (high is None or n <= high))
        if any(b <= a for a, b in zip(value, value[1:])):
            raise _Invalid(f"must be {what}, got {value!r}")
        return tuple(value)

    return check


@_leaf
def _severity_list(value):
    what = f"a list of distinct severities out of {', '.join(SEVERITIES)} (may be empty)"
    if not isinstance(value, list) or any(s not in SEVERITIES for s in value) or len(set(value)) != len(value):
        raise _Invalid(f"must be {what}, got {_describe(value)}")
    return tuple(value)


def _join(at: str, key: Any) -> str:
    return f"{at}.{key}" if at else str(key)


def _fields(value: Any, at: str, problems: _Problems, parsers: dict[str, Parser], optional=()) -> tuple[dict, bool]:
    """Parse a mapping with exactly these keys; returns (the parsed good fields, whether all were good)."""
    if not isinstance(value, dict):
        problems.add(at, f"must be a mapping with keys {', '.join(parsers)}, got {_describe(value)}")
        return {}, False
    out, ok = {}, True
    for key in value:
        if key not in parsers:
            problems.add(_join(at, key), f"unknown key (expected one of: {', '.join(parsers)})")
            ok = False
    for key, parse in parsers.items():
        if key in optional and value.get(key) is None:
            out[key] = None
        elif key not in value:
            problems.add(_join(at, key), "is missing")
            ok = False
        else:
            parsed = parse(value[key], _join(at, key), problems)
            if parsed is _BAD:
                ok = False
            else:
                out[key] = parsed
    return out, ok


def _section(cls: type, parsers: dict[str, Parser]) -> Parser:
    def parse(value, at, problems):
        got, ok = _fields(value, at, problems, parsers)
        return cls(**got) if ok else _BAD

    return parse


_CELL = _section(PenaltyCell, {"fine": _money, "points": _points, "fine_is_minimum": _flag})
_ROW = _section(PenaltyRow, {severity: _CELL for severity in SEVERITIES})

_SECTION_PARSERS: dict[str, Parser] = {
    "deadlines_wd": _section(DeadlinesWD, {stage: _positive for stage in STAGES}),
    "overdue": _section(Overdue, {"breach_fine": _money, "daily_fine": _money, "points": _points}),
    "penalties": _section(PenaltyMatrix, {kind: _ROW for kind in KINDS}),
    "severity": _section(SeverityRules, {
        "severe_loss_threshold": _money,
        "severe_points_small_loss": _points,
        "severe_points_large_loss": _points,
        "medium_repeat_count": _positive,
        "medium_repeat_window_days": _positive,
        "medium_delay_days": _positive,
    }),
    "individual": _section(Individual, {"loss_recovery": _flag, "supervisor_joint_rate": _rate}),
    "obstruction": _section(Obstruction, {"min_fine": _money, "points": _points, "dismissal_when_grave": _flag}),
    "second_round": _section(SecondRound, {
        "multiplier": _multiplier,
        "opens_after_days": _positive,
        "due_wd": _positive,
    }),
    "approval": _section(Approval, {
        "proposed_severities": _severity_list,
        "dismissal_proposed": _flag,
        "waived_explanation_proposed": _flag,
    }),
    "follow_ups": _section(FollowUps, {
        "assignment_due_wd": _positive,
        "first_revisit_days": _positive,
        "revisit_months": _int_list(1, None),
    }),
    "collective": _section(Collective, {"min_customers": _at_least_two, "window_days": _positive}),
    "reports": _section(Reports, {
        "digest_lookahead_wd": _positive,
        "monthly_on_first_working_day": _flag,
        "half_year_months": _int_list(1, 12),
        "half_year_within_days": _positive,
    }),
}  # fmt: skip
assert tuple(_SECTION_PARSERS) == SECTIONS

_VERSION_PARSERS: dict[str, Parser] = {
    "version": _text,
    "effective_from": _date,
    "effective_to": _date,
    "description": _text,
    **_SECTION_PARSERS,
}
_VERSION_OPTIONAL = ("effective_to", "description")


def _parse_book(data: Any, problems: _Problems) -> PolicyBook | None:
    if not isinstance(data, dict):
        got = "an empty file" if data is None else _describe(data)
        problems.add("", f"must be a mapping with a 'versions' list, got {got}")
        return None
    for key in data:
        if key != "versions":
            problems.add(str(key), "unknown key (expected only: versions)")
    if "versions" not in data:
        problems.add("versions", "is missing")
        return None
    raw = data["versions"]
    if not isinstance(raw, list):
        problems.add("versions", f"must be a list of versions, got {_describe(raw)}")
        return None
    if not raw:
        problems.add("versions", "must list at least one version")
        return None
    versions, spans = [], []
    for i, item in enumerate(raw):
        at = f"versions[{i}]"
        got, ok = _fields(item, at, problems, _VERSION_PARSERS, optional=_VERSION_OPTIONAL)
        spans.append((at, got.get("version"), got.get("effective_from"), got.get("effective_to")))
        if ok:
            versions.append(PolicyVersion(**got))
    _check_spans(spans, problems)
    return PolicyBook(tuple(versions), problems.source)


def _check_spans(spans: list[tuple], problems: _Problems) -> None:
    """Distinct ids; effective_to not before effective_from; no two versions cover the same date."""
    seen: dict[str, str] = {}
    for at, vid, start, end in spans:
        if vid is not None:
            if vid in seen:
                problems.add(f"{at}.version", f"duplicate version id {vid!r} (also {seen[vid]})")
            else:
                seen[vid] = at
        if start is not None and end is not None and end < start:
            problems.add(f"{at}.effective_to", f"{end} is before effective_from {start}")
    dated = sorted((s for s in spans if s[2] is not None), key=lambda s: s[2])
    for (at_a, id_a, start_a, end_a), (at_b, id_b, start_b, _) in zip(dated, dated[1:]):
        if start_a == start_b:
            message = f"versions overlap: {start_b} is also the effective_from of {at_a} ({id_a!r})"
            problems.add(f"{at_b}.effective_from", message)
        elif end_a is not None and end_a >= start_b:
            message = f"versions overlap: {end_a} runs into {at_b} ({id_b!r}), which starts {start_b}"
            problems.add(f"{at_a}.effective_to", message)

"""The suite's own figures (issue 8): what was tried, and what went wrong, printed at the end.

Tests call `count("bad inputs tried")` / `count("faults injected", 3)`; `conftest.py` prints the
table in pytest's terminal summary and writes it to `var/test-figures.json`. Counters whose name
starts with "lost" or "duplicated" are invariants: they must stay 0, and the summary says so loudly.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

FIGURES: Counter[str] = Counter()

# Names every run reports, even when a subset of the suite left them at 0.
STANDARD = (
    "scenarios generated",
    "faults injected",
    "bad inputs tried",
    "ledger entries lost",
    "ledger entries duplicated",
    "messages lost",
    "messages duplicated",
)


def count(name: str, n: int = 1) -> None:
    FIGURES[name] += n


def report_lines() -> list[str]:
    names = list(STANDARD) + sorted(k for k in FIGURES if k not in STANDARD)
    width = max(len(n) for n in names)
    lines = [f"{name:<{width}}  {FIGURES.get(name, 0):>8}" for name in names]
    bad = [n for n in names if n.startswith(("lost", "duplicated")) or " lost" in n or " duplicated" in n]
    broken = [n for n in bad if FIGURES.get(n, 0)]
    lines.append("invariants: " + ("BROKEN: " + ", ".join(broken) if broken else "nothing lost, nothing duplicated"))
    return lines


def write(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(FIGURES), indent=2, sort_keys=True) + "\n", encoding="utf-8")

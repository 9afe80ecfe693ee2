"""Write docs/benchmarks.md from the figures the scripts saved in var/bench/*.json: `python bench/report.py`.

The page's prose (method, what limits each figure) is the template bench/benchmarks.md.j2; every
number in it comes from the JSON files of the last runs, so the page never disagrees with them.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import jinja2
from common import END_DATE, PER_DAY, ROOT, VAR, load, machine

TARGETS = {"run_seconds_1m": 5.0, "ratio_1m": 3.0, "growth_5m": 1.5, "replay_minutes": 10.0, "peak_mb": 500,
           "parse_seconds": 0.5}


def collect() -> dict:
    daily = {s: r for s in ("100k", "1m", "5m") if (r := load(f"daily-{s}"))}
    builds = {s: r for s in ("100k", "1m", "5m") if (r := load(f"build-{s}"))}
    data = {"daily": daily, "builds": builds, "replay": load("replay-1m"), "replay_rerun": load("replay-1m-rerun"),
            "airflow": load("airflow"), "parse": load("parse"), "machine": machine(), "targets": TARGETS,
            "end_date": END_DATE, "per_day": PER_DAY, "written": dt.date.today()}
    if data["parse"]:
        data["parse"]["slowest_warm_ms"] = round(max(f["warm_ms"] for f in data["parse"]["files"]))
    if "100k" in daily:
        data["growth"] = {s: daily[s]["run"] / daily["100k"]["run"] for s in daily}
    return data


def verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("met" if ok else "**missed**")


def main() -> int:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(Path(__file__).parent)), undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["n"] = lambda v: f"{v:,}"
    env.filters["s"] = lambda v: f"{v:.2f} s"
    env.filters["ms"] = lambda v: f"{v * 1000:.0f} ms"
    env.globals["verdict"] = verdict
    page = env.get_template("benchmarks.md.j2").render(**collect())
    out = ROOT / "docs" / "benchmarks.md"
    out.write_text(page, encoding="utf-8")
    print(f"wrote {out} from {VAR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

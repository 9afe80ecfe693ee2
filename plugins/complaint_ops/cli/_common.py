"""Helpers shared by the command modules: engine from `--db`, output formats."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from decimal import Decimal
from typing import Any, Iterable, Sequence

from complaint_ops import db


def engine_for(args, migrated: bool = True):
    engine = db.make_engine(args.db)
    if migrated:
        db.require_migrated(engine)
    return engine


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise SystemExit(f"complaint-ops: error: {text!r} is not a date (YYYY-MM-DD)") from exc


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def emit(rows: Sequence[dict], fmt: str, columns: Sequence[str], out=None) -> None:
    """Print rows as an aligned table, CSV or JSON (a list of objects)."""
    out = out or sys.stdout
    if fmt == "json":
        json.dump([{c: _plain(r.get(c)) for c in columns} for r in rows], out, ensure_ascii=False, indent=2)
        out.write("\n")
        return
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(columns)
        for r in rows:
            writer.writerow([_plain(r.get(c)) for c in columns])
        return
    print_table(rows, columns, out)


def print_table(rows: Iterable[dict], columns: Sequence[str], out=None) -> None:
    out = out or sys.stdout
    rows = list(rows)
    cells = [[("" if r.get(c) is None else str(_plain(r.get(c)))) for c in columns] for r in rows]
    widths = [max([len(c)] + [_width(row[i]) for row in cells]) for i, c in enumerate(columns)]
    numeric = [all(_is_number(row[i]) for row in cells if row[i]) and cells for i in range(len(columns))]

    def fmt_row(values):
        parts = []
        for i, v in enumerate(values):
            pad = widths[i] - _width(v)
            parts.append(" " * pad + v if numeric[i] else v + " " * pad)
        return "  ".join(parts).rstrip()

    out.write(fmt_row(list(columns)) + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in cells:
        out.write(fmt_row(row) + "\n")


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
        return True
    except Exception:
        return False


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)

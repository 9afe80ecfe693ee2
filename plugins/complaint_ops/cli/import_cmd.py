"""`complaint-ops import FILE...`: land JSON Lines / CSV records (docs/intake.md)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from complaint_ops import intake
from complaint_ops.cli._common import engine_for
from complaint_ops.errors import ImportFileError


def register(sub) -> None:
    p = sub.add_parser("import", help="import departments, staff, customers, complaints, events (JSONL/CSV)")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--type", choices=intake.TYPES, help="record type of a CSV file without a `type` column")
    p.add_argument("--no-rejects-file", action="store_true", help="do not write FILE.rejects.jsonl")
    p.set_defaults(func=_import)


def _import(args) -> int:
    engine = engine_for(args)
    status = 0
    for path in args.files:
        # The wall clock is read here, at the edge: "in the future" means after this import started.
        try:
            report = intake.import_file(engine, path, args.type, now=dt.datetime.now(dt.timezone.utc),
                                        write_rejects=not args.no_rejects_file)
        except ImportFileError as exc:  # this file is refused whole; the next ones are still imported
            print(f"complaint-ops: error: {exc}", file=sys.stderr)
            status = 1
            continue
        for reject in report.rejected:
            print(f"{path}: {reject}", file=sys.stderr)
        print(report.summary())
        if report.rejected:
            status = 1
            if not args.no_rejects_file:
                print(f"rejected records written to {path}.rejects.jsonl", file=sys.stderr)
    return status

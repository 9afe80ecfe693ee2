"""`complaint-ops policy show|validate`: inspect and check the versioned policy file.

`show --format yaml` prints dates unquoted and amounts quoted, as the policy file writes them, so a
shown version can be copied into the file as the start of a new one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

import yaml

from complaint_ops import settings
from complaint_ops.errors import PolicyError
from complaint_ops.policy import PolicyBook, PolicyVersion, load_policy


def register(sub) -> None:
    p = sub.add_parser("policy", help="the versioned policy file (POLICY.md parameters)")
    psub = p.add_subparsers(dest="policy_command", required=True)
    show = psub.add_parser("show", help="print the version in force on a date (default: all versions + today's)")
    show.add_argument("--date", type=_date_arg, help="business date YYYY-MM-DD (default: summary + today's version)")
    show.add_argument("--file", help="policy file (default: $COMPLAINT_OPS_POLICY or policy/complaint_policy.yaml)")
    show.add_argument("--format", choices=("yaml", "json"), default="yaml")
    show.set_defaults(func=_show)
    val = psub.add_parser("validate", help="check a policy file; every problem is listed, exit 2 if any")
    val.add_argument("file", metavar="FILE")
    val.set_defaults(func=_validate)


def _date_arg(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _show(args) -> int:
    book = load_policy(args.file)
    if args.date is not None:
        _emit(_detail(book.in_force(args.date)), args.format)
        return 0
    today = dt.datetime.now(settings.business_timezone()).date()
    try:
        current = _detail(book.in_force(today))
    except PolicyError as exc:
        print(f"complaint-ops: warning: {exc}", file=sys.stderr)
        current = None
    doc = {"source": book.source, "today": today, "versions": _summary(book), "in_force_today": current}
    _emit(doc, args.format)
    return 0 if current is not None else 1


def _detail(version: PolicyVersion) -> dict:
    data = version.to_dict()
    head = {k: data.pop(k) for k in ("version", "effective_from", "effective_to")}
    return {**head, "fingerprint": version.fingerprint, **data}


def _summary(book: PolicyBook) -> list[dict]:
    return [
        {
            "version": v.version,
            "effective_from": v.effective_from,
            "effective_until": book.end_of(v),  # null = open-ended
            "fingerprint": v.fingerprint,
            "description": v.description,
        }
        for v in book.versions
    ]


def _emit(doc, fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(doc, ensure_ascii=False, indent=2, default=lambda d: d.isoformat()))
    else:
        print(yaml.dump(doc, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True), end="")


class _PlainDumper(yaml.SafeDumper):
    """No &id001 anchors: a date shared by the summary and the detail is printed twice."""

    def ignore_aliases(self, data) -> bool:
        return True


def _validate(args) -> int:
    try:
        book = load_policy(args.file)
    except PolicyError as exc:
        problems = str(exc).splitlines()
        print(f"complaint-ops: error: {args.file}: {len(problems)} problem(s):", file=sys.stderr)
        for line in problems:
            print(f"  {line}", file=sys.stderr)
        return 2
    n = len(book.versions)
    print(f"OK: {n} version{'' if n == 1 else 's'} in {args.file}, covering {book.coverage()}")
    for v in book.versions:
        print(f"  {v.version}  fingerprint {v.fingerprint[:12]}")
    return 0

"""`complaint-ops` command line: one module per command group, each with `register(subparsers)`.

Exit status: 0 ok, 1 something was rejected or found wrong (import rejects, calendar gaps),
2 usage or configuration error (bad file, unmigrated database).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

COMMAND_MODULES = (
    "db_cmd", "calendar_cmd", "policy_cmd", "import_cmd", "demo_cmd", "run_cmd", "ledger_cmd", "penalties_cmd", "orders_cmd",
    "mail_cmd", "backfill_cmd",
)


class CommandError(Exception):
    """An error the operator can fix; printed without a traceback, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="complaint-ops", description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: $COMPLAINT_OPS_DB or var/complaints.db)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"complaint_ops.cli.{name}")
        except ModuleNotFoundError as exc:  # a command group not built yet must not break the others
            if exc.name != f"complaint_ops.cli.{name}":
                raise
            continue
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not args.verbose:
        logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # `complaint-ops ledger | head`: the reader has gone, say nothing more
        sys.stderr.close()
        return 141
    except CommandError as exc:
        print(f"complaint-ops: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # known domain errors carry a clear message; show it without a traceback
        from complaint_ops.errors import UserError

        if isinstance(exc, UserError):
            print(f"complaint-ops: error: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())

"""`complaint-ops db upgrade|current`: the schema is owned by Alembic (sql/migrations)."""

from __future__ import annotations

from complaint_ops import db
from complaint_ops.cli._common import engine_for


def register(sub) -> None:
    p = sub.add_parser("db", help="database schema (Alembic migrations)")
    dsub = p.add_subparsers(dest="db_command", required=True)
    up = dsub.add_parser("upgrade", help="migrate the database to the newest schema")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=_upgrade)
    cur = dsub.add_parser("current", help="print the schema revision of the database")
    cur.set_defaults(func=_current)


def _upgrade(args) -> int:
    engine = engine_for(args, migrated=False)
    db.upgrade(engine, args.revision)
    print(f"database {engine.url.render_as_string(hide_password=True)} at revision {db.current_revision(engine)}")
    return 0


def _current(args) -> int:
    engine = engine_for(args, migrated=False)
    print(db.current_revision(engine) or "none")
    return 0

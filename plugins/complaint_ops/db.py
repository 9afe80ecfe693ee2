"""One code path over SQLite (embedded default) and PostgreSQL (production).

Why this module exists:
- timestamps are stored in UTC on both databases (`UtcDateTime`), so comparisons in SQL are plain;
- SQL lives in `sql/queries/*.sql` with bound parameters only; `query()` loads a file and types its
  parameters by name (`*_at` -> UTC timestamp, `*_date`/`day` -> date), `fetch()` types result
  columns the same way (plus `*_amount`, `fine*` -> Decimal) because SQLite returns plain strings/floats;
- the schema is owned by Alembic (`sql/migrations`), run through `upgrade()`.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Date, DateTime, Engine, String, bindparam, create_engine, event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.types import TypeDecorator

from complaint_ops import settings
from complaint_ops.errors import UserError

UTC = dt.timezone.utc
CENT = Decimal("0.01")


class DatabaseError(UserError):
    """A database is missing, unreachable or not migrated: said plainly to the operator."""


class UtcDateTime(TypeDecorator):
    """Timezone-aware in Python, UTC in the database (timestamptz on PostgreSQL, text on SQLite)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return to_utc_naive(value) if dialect.name == "sqlite" else as_utc(value)

    def process_result_value(self, value, dialect):
        return None if value is None else as_utc(value)


def as_utc(value: dt.datetime | str) -> dt.datetime:
    """Aware UTC datetime from a driver value (datetime, naive-UTC datetime or ISO string)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_utc_naive(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: timestamps must be timezone-aware")
    return value.astimezone(UTC).replace(tzinfo=None)


def as_date(value: dt.date | str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def money(value: Any) -> Decimal:
    """Exact CNY amount with two decimals (SQLite hands NUMERIC back as float)."""
    if value is None:
        return Decimal("0.00")
    return Decimal(str(value)).quantize(CENT)


# SQLite has no decimal type: hand amounts over as exact text ("800.00"), never as binary floats.
sqlite3.register_adapter(Decimal, str)

# --- engines -------------------------------------------------------------------------------------


def normalize_url(url: str) -> str:
    """Accept what people paste (postgres://, postgresql://) and pick the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str | None = None, **kwargs) -> Engine:
    url = normalize_url(settings.database_url(url))
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # Python's sqlite3 opens transactions lazily; we want BEGIN IMMEDIATE-like safety from
            # busy_timeout and referential integrity from foreign_keys (off by default in SQLite).
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            if parsed.database and parsed.database != ":memory:":
                cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        return engine
    if parsed.get_backend_name() == "postgresql":
        # UTC sessions; no JIT: our statements are short and indexed, and on a big table a high row
        # estimate makes PostgreSQL spend ~100 ms compiling a query that then runs in 10 (measured, bench/).
        connect_args = {"options": "-c timezone=UTC -c jit=off"}
        connect_args.update(kwargs.pop("connect_args", {}))
        return create_engine(url, connect_args=connect_args, pool_pre_ping=True, **kwargs)
    raise DatabaseError(f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql")


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """One unit of work: commits on success, rolls back on any exception."""
    with engine.begin() as conn:
        yield conn


# --- SQL files -----------------------------------------------------------------------------------

_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)")


def _param_type(name: str):
    if name.endswith("_ids") or name.endswith("_keys"):
        return "expanding"
    if name.endswith("_at"):
        return UtcDateTime()
    if name.endswith("_date") or name in ("day", "date_from", "date_to"):
        return Date()
    return None


@lru_cache(maxsize=256)
def _load(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def query(name: str) -> TextClause:
    """The statement in `sql/queries/<name>.sql`, its parameters typed by their names
    (`*_at` UTC timestamp, `*_date`/`day` date, `*_ids`/`*_keys` an expanding list for `IN :x_ids`)."""
    path = settings.sql_dir() / "queries" / f"{name}.sql"
    if not path.exists():
        raise FileNotFoundError(f"no SQL file {path}")
    # Full-line `--` comments go: a `:name` in prose must not become a bind parameter.
    sql = "\n".join(line for line in _load(str(path)).splitlines() if not line.lstrip().startswith("--"))
    clause = text(sql)
    typed = []
    for name in sorted(set(_PARAM.findall(sql))):
        kind = _param_type(name)
        if kind == "expanding":  # `IN :staff_ids` takes a list
            typed.append(bindparam(name, expanding=True, type_=String()))  # our ids are text
        elif kind is not None:
            typed.append(bindparam(name, type_=kind))
    return clause.bindparams(*typed) if typed else clause


def _convert(key: str, value: Any) -> Any:
    f = _converter(key)
    return value if value is None or f is None else f(value)


def typed_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _convert(k, v) for k, v in row.items()}


def _converter(key: str):
    """What `_convert` does to a column, decided once per result instead of once per value."""
    if key.endswith("_at"):
        return as_utc
    if key.endswith("_date") or key == "day":
        return as_date
    if key.endswith("_amount") or key.startswith("fine") or key.endswith("_cny"):
        return money
    return None


def fetch(conn: Connection, name: str, **params) -> list[dict[str, Any]]:
    """Run `sql/queries/<name>.sql` and return typed dict rows (as `typed_row` types them)."""
    result = conn.execute(query(name), params)
    keys = tuple(result.keys())
    typed = [(k, f) for k in keys if (f := _converter(k)) is not None]
    rows = [dict(zip(keys, r)) for r in result]
    for row in rows:
        for k, f in typed:
            if (v := row[k]) is not None:
                row[k] = f(v)
    return rows


def execute(conn: Connection, name: str, **params) -> int:
    """Run a data-changing SQL file; returns the affected row count."""
    return conn.execute(query(name), params).rowcount


# --- migrations ----------------------------------------------------------------------------------


def alembic_config(engine: Engine | None = None, connection: Connection | None = None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(settings.sql_dir() / "migrations"))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    with engine.begin() as conn:
        command.upgrade(alembic_config(engine, conn), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def require_migrated(engine: Engine) -> None:
    """Fail with a fix, not a stack trace, when the schema is missing or old."""
    current = current_revision(engine)
    head = head_revision()
    if current != head:
        raise DatabaseError(
            f"database {engine.url.render_as_string(hide_password=True)} is at revision {current or 'none'}, "
            f"code expects {head}: run `complaint-ops db upgrade`"
        )

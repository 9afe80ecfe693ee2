"""Configuration read from the environment, each time it is asked for (never import-time constants).

| variable | default | meaning |
|---|---|---|
| COMPLAINT_OPS_DB | sqlite file `var/complaints.db` under the project home | SQLAlchemy URL of the complaints DB |
| COMPLAINT_OPS_HOME | the repository root | where `var/`, `sql/`, `policy/`, `templates/` are found |
| COMPLAINT_OPS_TZ | Asia/Shanghai | zone in which business dates are read |
| COMPLAINT_OPS_COUNTRY / _SUBDIV | CN / none | `holidays` calendar to fill the business calendar from |
| COMPLAINT_OPS_POLICY | `policy/complaint_policy.yaml` | the versioned policy file |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_HOME = PACKAGE_DIR.parent.parent  # plugins/complaint_ops -> repository root


def home() -> Path:
    return Path(os.environ.get("COMPLAINT_OPS_HOME") or DEFAULT_HOME)


def var_dir() -> Path:
    path = Path(os.environ.get("COMPLAINT_OPS_VAR") or home() / "var")
    path.mkdir(parents=True, exist_ok=True)
    return path


def sql_dir() -> Path:
    return home() / "sql"


def templates_dir() -> Path:
    return home() / "templates"


def database_url(explicit: str | None = None) -> str:
    """`--db` wins, then COMPLAINT_OPS_DB, then the embedded SQLite file."""
    if explicit:
        return explicit
    env = os.environ.get("COMPLAINT_OPS_DB")
    if env:
        return env
    return f"sqlite:///{var_dir() / 'complaints.db'}"


def policy_path() -> Path:
    return Path(os.environ.get("COMPLAINT_OPS_POLICY") or home() / "policy" / "complaint_policy.yaml")


@dataclass(frozen=True)
class CalendarSettings:
    country: str
    subdivision: str | None
    timezone: ZoneInfo


def calendar_settings() -> CalendarSettings:
    return CalendarSettings(
        country=os.environ.get("COMPLAINT_OPS_COUNTRY", "CN"),
        subdivision=os.environ.get("COMPLAINT_OPS_SUBDIV") or None,
        timezone=business_timezone(),
    )


def business_timezone() -> ZoneInfo:
    return ZoneInfo(os.environ.get("COMPLAINT_OPS_TZ", "Asia/Shanghai"))

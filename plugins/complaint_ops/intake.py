"""Intake: `complaint-ops import FILE` (format: docs/intake.md).

Why it is built this way:
- Bad input gets a clear error and nothing is lost: every record is checked on its own (fields, then
  references and contradictions with what is known), a bad one is reported with its line, field and
  reason, and the good ones still land.
- Nothing is half-written: all accepted records land in one transaction; should the database still
  refuse one (a rule we did not foresee), the batch is replayed record by record in savepoints so only
  that record is rejected.
- Importing the same file again changes nothing: records carry content hashes; identical ones are
  skipped, changed complaints are corrections kept in `complaint_revisions`, the event log is
  append-only (a known event id with other content is rejected).
- People type anything and files arrive in any shape (tests/bad_inputs/): nothing a file contains may
  crash an import. Broken JSON/CSV syntax, bytes that are not UTF-8 (a GBK export), duplicate keys,
  deep nesting, control and invisible characters are each one record's error, found by the reader
  before a record reaches `normalize`; only a file that cannot be split into records at all (UTF-16,
  a CSV header without commas) is refused whole, before anything is written.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import json
import logging
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from complaint_ops import db, redact, settings
from complaint_ops.errors import ImportFileError

log = logging.getLogger(__name__)

TYPES = ("department", "team", "staff", "customer", "complaint", "event")
TABLES = {"department": "departments", "team": "teams", "staff": "staff", "customer": "customers",
          "complaint": "complaints", "event": "events"}
ROLES = ("general_manager", "company_manager", "gm_secretary", "department_head", "customer_service",
         "cs_assistant", "account_manager", "staff")
KINDS = ("internal", "external")
CATEGORIES = ("product_quality", "contract", "transport", "service", "other")
CHANNELS = ("written", "phone", "fax", "email", "visit", "other")
SEVERITIES = ("light", "medium", "severe")
STAGES = {"internal": ("I1", "I2", "I3"), "external": ("E1", "E2", "E3", "E4")}
EVENT_TYPES = ("forwarded", "stage_done", "decision", "withdrawn", "order_done", "revisit_done", "second_round_result")
OUTCOMES = {
    "decision": ("upheld", "rejected"),
    "revisit_done": ("satisfied", "unsatisfied"),
    "second_round_result": ("improved", "not_improved", "still_unhappy"),
}
ORDER_EVENTS = ("order_done", "revisit_done", "second_round_result")
# Which follow-up orders (plugins/complaint_ops/followups.py) each event type may complete.
ORDER_KEY_SUFFIX = {
    "order_done": re.compile(r"^:(F1:assignment|F3:reply_letter)$"),
    "revisit_done": re.compile(r"^:(revisit:[1-9][0-9]*|F4:[1-9][0-9]*\.[1-9][0-9]*)$"),
    "second_round_result": re.compile(r"^:S1$"),
}

# Decision (docs/intake.md): no loss or fine above 100 million CNY is real for this company; the cap
# also keeps every derived amount (P7 doubles, P5 adds 20 %, sums per person) inside NUMERIC(14, 2).
MAX_AMOUNT = Decimal("100000000.00")
MAX_SUMMARY = 10_000
MAX_DEPTH = 20  # JSON nesting a record may have (a record is flat; deeper input is garbage, not data)
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
FUTURE_SKEW = dt.timedelta(minutes=5)

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,39}$")
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,119}$")
# An address we can send to (RFC 5321 dot-atom, ASCII): no leading, trailing or double dots in the
# local part (at most 64 characters), a domain of hostname labels ending in an alphabetic TLD.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"^(?=[^@]{{1,64}}@){_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+(?:[A-Za-z]{{2,63}}|xn--[A-Za-z0-9-]{{1,59}})$")
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,19}$")
# Names, ids and codes end up in mail headers, subjects and tables: no control characters (C0, DEL,
# C1), no line or paragraph separators, no invisible bidirectional overrides that reorder what a
# reader sees ("Trojan source"), no byte-order marks.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
# Free text (summaries, notes) may have line breaks and tabs, nothing else from C0/C1.
_TEXT_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_LINE_SEPARATORS = re.compile("[\x85\u2028\u2029]")  # JSON allows them raw; str.splitlines() does not
_DECIMAL = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,6})?$")

# Fields a record type may carry (besides `type`); anything else is an unknown-field error.
FIELDS: dict[str, dict[str, bool]] = {  # name -> required
    "department": {"id": True, "name": True, "name_en": False, "manager_id": False},
    "team": {"id": True, "name": True, "department_id": True},
    "staff": {"id": True, "name": True, "department_id": True, "role": True, "email": False,
              "team_id": False, "supervisor_id": False, "language": False},
    "customer": {"id": True, "name": True, "phone": False, "account_manager_id": False},
    "complaint": {
        "id": True, "kind": True, "category": True, "channel": True, "filer_id": True,
        "target_department_id": True, "received_at": True, "summary": False, "problem_code": False,
        "handler_id": False, "customer_id": False, "target_staff_id": False, "target_team_id": False,
        "loss_amount": False, "customer_lost": False, "bad_attitude": False, "delay_days": False,
        "obstruction": False, "obstruction_grave": False, "anonymous": False, "reply_letter_only": False,
        "written": False, "major": False, "severity_raised": False, "handler_fine": False,
        "duplicate_of": False, "second_round_of": False, "upheld": False, "decided_at": False,
    },
    "event": {"id": True, "complaint_id": True, "event_type": True, "occurred_at": True, "stage": False,
              "order_key": False, "actor_id": False, "outcome": False, "method": False,
              "signature": False, "note": False},
}


class RecordError(ValueError):
    """One record is wrong: `field` names the field ("-" for the record as a whole). A reader that
    could parse part of the record hands it along as `record`, so the error can still name its id."""

    def __init__(self, field: str, reason: str, record: Any = None):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.record = record


@dataclass(frozen=True)
class Reject:
    line: int
    record_id: str | None
    record_type: str | None
    field: str
    reason: str
    record: Any = None

    def __str__(self) -> str:
        what = f"{self.record_type or 'record'} {self.record_id}" if self.record_id else (self.record_type or "record")
        return f"line {self.line}: {what}: {self.field}: {self.reason}"


@dataclass
class ImportReport:
    source: str
    accepted: int = 0
    unchanged: int = 0
    updated: int = 0
    rejected: list[Reject] = field(default_factory=list)
    by_type: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def ok(self) -> bool:
        return not self.rejected

    def summary(self) -> str:
        kinds = ", ".join(f"{n} {t}" for t, n in sorted(self.by_type.items())) or "nothing new"
        return (f"{self.source}: {self.accepted} new ({kinds}), {self.updated} corrected, "
                f"{self.unchanged} unchanged, {len(self.rejected)} rejected")


# --- field parsing (pure) ------------------------------------------------------------------------


def _text(rec: dict, name: str, *, max_len: int, required: bool, plain: bool = True) -> str | None:
    value = rec.get(name)
    if value is None or value == "":
        if required:
            raise RecordError(name, "is required")
        return None
    if not isinstance(value, str):
        if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            value = str(value)
        else:
            raise RecordError(name, f"must be text, got {type(value).__name__}")
    problem = encoding_problem(value)
    if problem:
        raise RecordError(name, problem)
    value = value.strip()
    if plain:
        bad = _CONTROL.search(value)
        if bad:
            raise RecordError(name, f"contains a control character (U+{ord(bad.group()):04X}; CR/LF, tab, NUL and "
                                    "invisible direction overrides are not allowed here)")
        if "<" in value or ">" in value:
            raise RecordError(name, "contains '<' or '>' (markup is not allowed in names and codes)")
    else:
        bad = _TEXT_CONTROL.search(value)
        if bad:
            raise RecordError(name, f"contains a control character (U+{ord(bad.group()):04X}; only line breaks "
                                    "and tabs are allowed in text)")
    if len(value) > max_len:
        raise RecordError(name, f"is {len(value)} characters long, at most {max_len} allowed")
    if required and not value:
        raise RecordError(name, "is required")
    return value or None


def _ident(rec: dict, name: str, *, required: bool, pattern=_ID) -> str | None:
    value = _text(rec, name, max_len=120, required=required)
    if value is not None and not pattern.match(value):
        raise RecordError(name, f"{value!r} is not a valid id (letters, digits, _ . : -; at most {40 if pattern is _ID else 120} characters)")
    return value


def _choice(rec: dict, name: str, choices: tuple[str, ...], *, required: bool, default=None) -> str | None:
    value = _text(rec, name, max_len=40, required=required)
    if value is None:
        return default
    if value not in choices:
        raise RecordError(name, f"{value!r} is not one of {', '.join(choices)}")
    return value


def _bool(rec: dict, name: str, default: bool | None = False) -> bool | None:
    value = rec.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "y", "t"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "0", "no", "n", "f"):
        return False
    raise RecordError(name, f"{value!r} is not a boolean (true/false)")


def _int(rec: dict, name: str, *, low: int, high: int, default: int = 0) -> int:
    value = rec.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, (float, Decimal)):  # JSON 3.0 is fine, 3.5 or NaN is not (never truncated)
        if not (value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)) or value != int(value):
            raise RecordError(name, f"{value} is not a whole number")
        value = int(value)
    if isinstance(value, bool):
        raise RecordError(name, f"{value!r} is not a whole number")
    try:
        number = int(value) if not isinstance(value, str) else int(value.strip()[:20])
    except (TypeError, ValueError):
        raise RecordError(name, f"{_short(value)} is not a whole number") from None
    if not low <= number <= high:
        raise RecordError(name, f"{number} is out of range {low}..{high}")
    return number


def _amount(rec: dict, name: str, *, required: bool = False) -> Decimal | None:
    """An exact CNY amount: a decimal string ("800.00") or a JSON number, 0 <= x <= MAX_AMOUNT, cents."""
    value = rec.get(name)
    if value is None or value == "":
        if required:
            raise RecordError(name, "is required")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise RecordError(name, f"must be a decimal amount in CNY, got {type(value).__name__}")
    if isinstance(value, str):
        text_ = value.strip()
        if text_.lower().lstrip("+-") in ("nan", "snan", "inf", "infinity"):
            raise RecordError(name, f"{_short(value)} is not a finite amount")
        if not _DECIMAL.match(text_):  # no "1,000", "¥500", "1_000", full-width digits
            raise RecordError(name, f"{_short(value)} is not a decimal amount in CNY (e.g. \"800.00\")")
        amount = Decimal(text_)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise RecordError(name, f"{value!r} is not a finite amount")
        amount = Decimal(repr(value))
    else:
        amount = Decimal(value)
    if not amount.is_finite():
        raise RecordError(name, f"{_short(value)} is not a finite amount")
    if amount < 0:
        raise RecordError(name, f"{_short(value)} is negative; amounts are never negative")
    if amount > MAX_AMOUNT:
        raise RecordError(name, f"{_short(value)} is larger than the largest plausible amount {MAX_AMOUNT} CNY")
    if amount != amount.quantize(db.CENT):
        raise RecordError(name, f"{_short(value)} has more than two decimals")
    return abs(amount.quantize(db.CENT))  # abs: "-0" is 0.00


def _timestamp(rec: dict, name: str, tz: ZoneInfo, *, required: bool) -> dt.datetime | None:
    value = rec.get(name)
    if value is None or value == "":
        if required:
            raise RecordError(name, "is required")
        return None
    if not isinstance(value, str):
        raise RecordError(name, f"must be an ISO 8601 timestamp string, got {type(value).__name__}")
    try:
        stamp = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise RecordError(name, f"{value!r} is not an ISO 8601 timestamp (e.g. 2026-03-04T10:00:00+08:00)") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=tz)
    if stamp < EARLIEST or stamp.year > 2100:
        raise RecordError(name, f"{value!r} is outside the plausible range 2000..2100")
    return stamp


def _short(value: Any, limit: int = 60) -> str:
    """A value quoted for an error message, cut short (a 1 MB field must not become a 1 MB message)."""
    text_ = str(value) if isinstance(value, Decimal) else repr(value)
    return text_ if len(text_) <= limit else text_[:limit] + f"... ({len(str(value))} characters)"


def encoding_problem(value: str, suspect: bool = False) -> str | None:
    """Why a string that came out of a file is not text, or None when it is fine.

    Bytes that were not UTF-8 are kept by the reader as surrogate escapes; a JSON \\u escape can make a
    lone surrogate. In a file that is not UTF-8 (`suspect`), any non-ASCII text is refused as well: GBK
    bytes can happen to form valid UTF-8 ("摘要" reads as "ժҪ"), and such mojibake must not land.
    The message shows the GB18030 reading when there is one: the user sees what they wrote."""
    broken = bool(_SURROGATE.search(value))
    if not broken and (not suspect or value.isascii()):
        return None
    try:
        raw = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return "contains an unpaired UTF-16 surrogate (a broken \\u escape); text must be valid Unicode"
    reading = _gb18030(raw)
    if reading is None:
        bad = bytes(ord(c) - 0xDC00 for c in value if "\udc80" <= c <= "\udcff") or raw
        return f"is not UTF-8 (bytes {bad[:8].hex(' ')}); save the file as UTF-8"
    return (f"is not UTF-8: the file looks GBK/GB18030-encoded (this text reads as {_short(reading, 40)} in "
            "GB18030); convert it first: iconv -f GB18030 -t UTF-8 FILE > FILE.utf8")


def _gb18030(raw: bytes) -> str | None:
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return None


def content_hash(values: dict) -> str:
    canonical = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _check_fields(rec: dict, rtype: str) -> None:
    unknown = sorted((k for k in rec if k not in FIELDS[rtype] and k != "type"), key=str)
    if unknown:
        raise RecordError(safe_text(str(unknown[0]))[:60],
                          f"unknown field for a {rtype} record (allowed: {', '.join(FIELDS[rtype])})")


def normalize(record: dict, tz: ZoneInfo | None = None) -> tuple[str, dict]:
    """Check one record's own fields; return (table, row) ready to insert. Raises RecordError.

    Pure: references to other records and contradictions with the database are checked later.
    """
    tz = tz or settings.business_timezone()
    if not isinstance(record, dict):
        raise RecordError("-", f"a record must be an object, got {type(record).__name__}")
    rtype = record.get("type")
    if not isinstance(rtype, str) or rtype not in TYPES:
        raise RecordError("type", f"{_short(rtype)} is not one of {', '.join(TYPES)}")
    _check_fields(record, rtype)
    row: dict[str, Any] = {"id": _ident(record, "id", required=True, pattern=_ID if rtype != "event" else _KEY)}
    if rtype == "department":
        row.update(name=_text(record, "name", max_len=100, required=True),
                   name_en=_text(record, "name_en", max_len=100, required=False),
                   manager_id=_ident(record, "manager_id", required=False))
    elif rtype == "team":
        row.update(name=_text(record, "name", max_len=100, required=True),
                   department_id=_ident(record, "department_id", required=True))
    elif rtype == "staff":
        email = _text(record, "email", max_len=254, required=False)
        if email is not None and not _EMAIL.match(email):
            raise RecordError("email", f"{_short(email)} is not a valid e-mail address (name@domain.tld, ASCII)")
        row.update(name=_text(record, "name", max_len=100, required=True), email=email,
                   department_id=_ident(record, "department_id", required=True),
                   team_id=_ident(record, "team_id", required=False),
                   supervisor_id=_ident(record, "supervisor_id", required=False),
                   role=_choice(record, "role", ROLES, required=True),
                   language=_choice(record, "language", ("zh", "en"), required=False, default="zh"))
        if row["supervisor_id"] == row["id"]:
            raise RecordError("supervisor_id", "a person cannot be their own supervisor")
    elif rtype == "customer":
        phone = _text(record, "phone", max_len=20, required=False)
        if phone is not None and not _PHONE.match(phone):
            # The number itself stays out of the message: rejects reach stderr and logs (masked, 138****5678).
            raise RecordError("phone", f"{redact.mask_phones(_short(phone))} is not a phone number "
                                       "(digits, spaces, '-', a leading '+'; 5 to 20 characters)")
        row.update(name=_text(record, "name", max_len=200, required=True), phone=phone,
                   account_manager_id=_ident(record, "account_manager_id", required=False))
    elif rtype == "complaint":
        _complaint(record, row, tz)
    else:
        _event(record, row, tz)
    return TABLES[rtype], row


def _complaint(rec: dict, row: dict, tz: ZoneInfo) -> None:
    received_at = _timestamp(rec, "received_at", tz, required=True)
    row.update(
        kind=_choice(rec, "kind", KINDS, required=True),
        category=_choice(rec, "category", CATEGORIES, required=True),
        channel=_choice(rec, "channel", CHANNELS, required=True),
        summary=_text(rec, "summary", max_len=MAX_SUMMARY, required=False, plain=False) or "",
        problem_code=_ident(rec, "problem_code", required=False),
        filer_id=_ident(rec, "filer_id", required=True),
        handler_id=_ident(rec, "handler_id", required=False),
        customer_id=_ident(rec, "customer_id", required=False),
        target_department_id=_ident(rec, "target_department_id", required=True),
        target_staff_id=_ident(rec, "target_staff_id", required=False),
        target_team_id=_ident(rec, "target_team_id", required=False),
        received_at=received_at,
        received_date=received_at.astimezone(tz).date(),
        loss_amount=_amount(rec, "loss_amount") or Decimal("0.00"),
        customer_lost=_bool(rec, "customer_lost"),
        bad_attitude=_bool(rec, "bad_attitude"),
        delay_days=_int(rec, "delay_days", low=0, high=3650),
        obstruction=_bool(rec, "obstruction"),
        obstruction_grave=_bool(rec, "obstruction_grave"),
        anonymous=_bool(rec, "anonymous"),
        reply_letter_only=_bool(rec, "reply_letter_only"),
        written=_bool(rec, "written"),
        major=_bool(rec, "major"),
        severity_raised=_choice(rec, "severity_raised", SEVERITIES, required=False),
        handler_fine=_amount(rec, "handler_fine"),
        duplicate_of=_ident(rec, "duplicate_of", required=False),
        second_round_of=_ident(rec, "second_round_of", required=False),
    )
    if row["channel"] == "written":
        row["written"] = True  # a written complaint gets a written reply [003 制度1 2(7)]
    if row["kind"] == "external" and not row["customer_id"] and not row["anonymous"]:
        raise RecordError("customer_id", "an external complaint needs its customer (or anonymous=true)")
    if row["kind"] == "external" and row["handler_id"] is None:
        row["handler_id"] = row["filer_id"]  # external complaints are originated by customer service
    if row["obstruction_grave"] and not row["obstruction"]:
        raise RecordError("obstruction_grave", "a grave obstruction must also be an obstruction")
    for link in ("duplicate_of", "second_round_of"):
        if row[link] == row["id"]:
            raise RecordError(link, "a complaint cannot link to itself")
    upheld = _bool(rec, "upheld", default=None)
    decided_at = _timestamp(rec, "decided_at", tz, required=False)
    if (upheld is None) != (decided_at is None):
        raise RecordError("decided_at" if upheld is not None else "upheld",
                          "upheld and decided_at go together (the decision and when it was taken)")
    if decided_at is not None and decided_at < received_at:
        raise RecordError("decided_at", "the decision is before the complaint was received")
    # The record's own decision is a fact like the others: a correction replaces it (and leaves a
    # revision); later decisions on appeal are `decision` events. The daily run takes the later of both.
    row["upheld"], row["decided_at"] = upheld, decided_at
    row["content_hash"] = content_hash({k: v for k, v in row.items() if k != "content_hash"})


def _event(rec: dict, row: dict, tz: ZoneInfo) -> None:
    occurred_at = _timestamp(rec, "occurred_at", tz, required=True)
    event_type = _choice(rec, "event_type", EVENT_TYPES, required=True)
    row.update(
        event_key=row.pop("id"),
        complaint_id=_ident(rec, "complaint_id", required=True),
        order_key=_ident(rec, "order_key", required=False, pattern=_KEY),
        event_type=event_type,
        stage=_choice(rec, "stage", STAGES["internal"] + STAGES["external"], required=event_type == "stage_done"),
        occurred_at=occurred_at,
        occurred_date=occurred_at.astimezone(tz).date(),
        actor_id=_ident(rec, "actor_id", required=False),
        outcome=_choice(rec, "outcome", OUTCOMES.get(event_type, ()), required=event_type in OUTCOMES),
        method=_choice(rec, "method", ("phone", "on_site"), required=event_type == "revisit_done"),
        signature=_bool(rec, "signature", default=None),
        note=_text(rec, "note", max_len=MAX_SUMMARY, required=False, plain=False),
    )
    if event_type == "withdrawn":  # the complaint should never have been raised: it closes, and counts as rejected
        row["outcome"] = "rejected"
    if row["stage"] and event_type != "stage_done":
        raise RecordError("stage", f"only stage_done events name a stage, not {event_type}")
    if event_type in ORDER_EVENTS:
        key = row["order_key"]
        if not key:
            raise RecordError("order_key", f"a {event_type} event must name the follow-up order it completes")
        prefix = row["complaint_id"] + ":"
        if not key.startswith(prefix) or not ORDER_KEY_SUFFIX[event_type].match(key[len(prefix) - 1:]):
            raise RecordError("order_key", f"{key!r} is not an order that a {event_type} event completes for complaint "
                                           f"{row['complaint_id']} (e.g. {row['complaint_id']}:"
                                           + {"order_done": "F1:assignment", "revisit_done": "revisit:1",
                                              "second_round_result": "S1"}[event_type] + ")")
    elif row["order_key"]:
        raise RecordError("order_key", f"a {event_type} event does not complete a follow-up order")
    if event_type == "revisit_done" and row["method"] == "on_site" and row["signature"] is not True:
        raise RecordError("signature", "an on-site revisit needs the customer's signature [003 制度2 1.7]")
    row["content_hash"] = content_hash({k: v for k, v in row.items() if k != "content_hash"})
    row["id"] = row["event_key"]


# --- reading files -------------------------------------------------------------------------------


def read_records(path: Path, record_type: str | None = None) -> Iterator[tuple[int, dict | RecordError]]:
    """(line number, record or the reason it could not be read) for each record of a JSONL/CSV file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    text_, suspect = decode(raw, path)
    suffix = path.suffix.lower()
    if suffix == ".json" and text_.lstrip().startswith("["):
        return _json_array(text_, record_type, suspect)
    if suffix in (".jsonl", ".ndjson", ".json"):
        return _jsonl(text_, record_type, suspect)
    if suffix == ".csv":
        return _csv(text_, record_type, path, suspect)
    raise ImportFileError(f"{path}: unknown format {suffix!r}: use .jsonl or .csv")


def decode(raw: bytes, path: Path) -> tuple[str, bool]:
    """The file's text, and whether it is suspect (not valid UTF-8). UTF-8, with or without a BOM, is
    expected. Bytes that are not (a GBK export, say) are kept as surrogate escapes, and in such a file
    every record holding non-ASCII text is rejected on its own, naming its field (`encoding_problem`),
    while its pure-ASCII records - the same in either encoding - land. UTF-16/32 cannot even be split
    into lines without decoding, so such a file is refused whole."""
    for bom, name in ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
                      (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16")):
        if raw.startswith(bom):
            raise ImportFileError(f"{path}: the file is {name}-encoded (byte-order mark {bom.hex(' ')}); "
                                  f"save it as UTF-8, e.g. `iconv -f {name} -t UTF-8 {path.name} > {path.stem}.utf8{path.suffix}`")
    if raw.count(b"\x00") > max(16, len(raw) // 8):  # every other byte NUL: UTF-16 without a BOM
        raise ImportFileError(f"{path}: the file looks UTF-16-encoded (many NUL bytes); save it as UTF-8")
    try:
        return raw.decode("utf-8").removeprefix("\ufeff"), False
    except UnicodeDecodeError:
        return raw.decode("utf-8", "surrogateescape").removeprefix("\ufeff"), True


def _lines(text_: str) -> Iterator[tuple[int, str]]:
    """Physical lines: only LF (and CRLF) end a line. str.splitlines() would also break at U+2028,
    U+0085 and form feeds, which JSON allows raw inside strings, and count lines unlike an editor."""
    for number, line in enumerate(text_.split("\n"), start=1):
        yield number, line.removesuffix("\r")


class _DuplicateKey(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _object(pairs: list[tuple[str, Any]]) -> dict:
    """json object_pairs_hook: a key given twice is an error, not "the last one wins"."""
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _parse_json(chunk: str) -> Any:
    return json.loads(chunk, parse_float=Decimal, parse_constant=_reject_constant, object_pairs_hook=_object)


def _json_error(exc: Exception, chunk: str, suspect: bool) -> RecordError:
    if isinstance(exc, _DuplicateKey):
        return RecordError(safe_text(exc.key)[:60], "is given twice in one record")
    if isinstance(exc, RecursionError):
        return RecordError("-", "invalid JSON: nested too deeply")
    problem = encoding_problem(chunk, suspect)
    if problem:  # the broken bytes broke the syntax: the encoding is the news
        return RecordError("-", "the line " + problem)
    return RecordError("-", f"invalid JSON: {safe_text(str(exc))[:200]}")


def _checked(record: Any, record_type: str | None, suspect: bool) -> dict | RecordError:
    """A parsed record, or the first reason it cannot be one (bad bytes in a field, nesting)."""
    if not isinstance(record, dict):
        return record  # normalize() says "a record must be an object"
    if record_type and "type" not in record:
        record["type"] = record_type
    for key, value in record.items():
        problem = encoding_problem(key, suspect)
        if problem:  # named as the user wrote it, when it reads as GB18030
            shown = _gb18030(key.encode("utf-8", "surrogateescape")) if "surrogate" not in problem else None
            return RecordError(safe_text(shown or key)[:60], "this field name " + problem, _readable(record))
        if _depth(value) > MAX_DEPTH:
            return RecordError(key, f"is nested more than {MAX_DEPTH} levels deep", _readable(record))
        for text_ in _strings(value):
            problem = encoding_problem(text_, suspect)
            if problem:
                return RecordError(key, problem, _readable(record))
    return record


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_DEPTH or not isinstance(value, (dict, list)):
        return level
    children = value.values() if isinstance(value, dict) else value
    return max((_depth(v, level + 1) for v in children), default=level + 1)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _readable(record: dict) -> dict:
    """The record as far as it can be shown (ids and types for the error; bad bytes escaped)."""
    return {safe_text(str(k)): safe_text(v) if isinstance(v, str) else v for k, v in record.items()}


def safe_text(value: str) -> str:
    """Text that can be printed and stored: undecodable bytes and lone surrogates as backslash escapes."""
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


def _jsonl(text_: str, record_type: str | None, suspect: bool) -> Iterator[tuple[int, dict | RecordError]]:
    for number, line in _lines(text_):
        if not line.strip():
            continue
        try:
            record = _parse_json(line)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, a duplicate key, NaN, 5000-digit ints
            yield number, _json_error(exc, line, suspect)
            continue
        yield number, _checked(record, record_type, suspect)


def _json_array(text_: str, record_type: str | None, suspect: bool) -> Iterator[tuple[int, dict | RecordError]]:
    """A `.json` file holding one array of records (what many tools export): each element is a record,
    numbered by the line it starts on. Broken syntax ends the file: what follows cannot be delimited."""
    decoder = json.JSONDecoder(parse_float=Decimal, parse_constant=_reject_constant, object_pairs_hook=_object)
    pos = text_.index("[") + 1
    while True:
        while pos < len(text_) and text_[pos] in " \t\r\n,":
            pos += 1
        line = text_.count("\n", 0, pos) + 1
        if pos >= len(text_):
            yield line, RecordError("-", "invalid JSON: the array is not closed with ']' (is the file cut short?)")
            return
        if text_[pos] == "]":
            if text_[pos + 1:].strip():
                yield line, RecordError("-", "invalid JSON: text after the closing ']' of the array was not read")
            return
        try:
            record, end = decoder.raw_decode(text_, pos)
        except (ValueError, RecursionError) as exc:
            error = _json_error(exc, text_[pos:pos + 2000], suspect)
            yield line, RecordError(error.field, error.reason + "; the rest of the file was not read")
            return
        yield line, _checked(record, record_type, suspect)
        pos = end


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a number")


def _csv(text_: str, record_type: str | None, path: Path, suspect: bool) -> Iterator[tuple[int, dict | RecordError]]:
    # A 1 MB summary is one record's error (too long), not a reader crash at the default 128 KiB.
    csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))
    reader = csv.reader(io.StringIO(text_, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return iter(())
    except csv.Error as exc:
        raise ImportFileError(f"{path}: line 1: the header row is not valid CSV: {exc}") from None
    header = [safe_text(h.strip()) for h in header]
    if len(header) == 1 and any(sep in header[0] for sep in (";", "\t", "|")):
        sep = next(s for s in (";", "\t", "|") if s in header[0])
        raise ImportFileError(f"{path}: line 1: the header has one column {header[0][:60]!r}: the file seems to use "
                              f"{sep!r} between columns; save it with commas")
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates:
        raise ImportFileError(f"{path}: line 1: column {duplicates[0]!r} appears twice in the header")
    if "type" not in header and not record_type:
        raise ImportFileError(f"{path}: CSV file has no `type` column: add one or pass --type")
    return _csv_rows(reader, header, record_type, suspect)


def _csv_rows(reader, header: list[str], record_type: str | None, suspect: bool) -> Iterator[tuple[int, dict | RecordError]]:
    line = 1
    while True:
        start = line + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = reader.line_num
            if "unexpected end of data" in str(exc):
                yield start, RecordError("-", f"unclosed quote: the quoted field opened on line {start} runs to the end "
                                              f"of the file (line {line}); nothing after line {start - 1} was read")
                return
            yield start, RecordError("-", f"malformed CSV: {exc}")
            continue
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue  # a blank line
        if len(cells) > len(header):
            record = dict(zip(header, cells))
            yield start, RecordError("-", f"{len(cells) - len(header)} more cells than the header has columns",
                                     _readable(record))
            continue
        record = {k: v for k, v in zip(header, cells) if v != ""}
        yield start, _checked(record, record_type, suspect)


# --- applying a batch ----------------------------------------------------------------------------


@dataclass
class _Item:
    line: int
    rtype: str
    table: str
    row: dict
    raw: dict


def import_file(engine: Engine, path: Path | str, record_type: str | None = None, *,
                now: dt.datetime, write_rejects: bool = True) -> ImportReport:
    """Import one file; write `FILE.rejects.jsonl` beside it when anything was rejected."""
    path = Path(path)
    raw = path.read_bytes() if path.exists() else b""
    report = import_records(engine, read_records(path, record_type), source=str(path), now=now,
                            file_sha256=hashlib.sha256(raw).hexdigest())
    rejects_path = path.with_name(path.name + ".rejects.jsonl")
    if write_rejects:
        if report.rejected:
            # backslashreplace: bytes that were not UTF-8 are written as JSON \\udcXX escapes
            with rejects_path.open("w", encoding="utf-8", errors="backslashreplace") as out:
                for r in report.rejected:
                    line = json.dumps({"line": r.line, "type": r.record_type, "id": r.record_id, "field": r.field,
                                       "reason": r.reason, "record": r.record}, ensure_ascii=False, default=str)
                    out.write(_LINE_SEPARATORS.sub(lambda m: f"\\u{ord(m.group()):04x}", line) + "\n")
        elif rejects_path.exists():
            rejects_path.unlink()
    return report


def import_records(engine: Engine, records: Iterable[dict | tuple[int, Any]], source: str, *,
                   now: dt.datetime, file_sha256: str = "", tz: ZoneInfo | None = None) -> ImportReport:
    """Validate and land records (dicts, or (line, record) pairs); see the module docstring."""
    tz = tz or settings.business_timezone()
    report = ImportReport(source=source)
    items: list[_Item] = []
    seen: dict[tuple[str, str], _Item] = {}
    for position, entry in enumerate(records, start=1):
        line, record = entry if isinstance(entry, tuple) else (position, entry)
        known = record.record if isinstance(record, RecordError) else record
        rtype = known.get("type") if isinstance(known, dict) else None
        rid = known.get("id") if isinstance(known, dict) else None
        try:
            if isinstance(record, RecordError):
                raise record
            table, row = normalize(record, tz)
        except RecordError as exc:
            report.rejected.append(_reject(line, rid, rtype, exc.field, exc.reason, known))
            continue
        except Exception as exc:  # a case normalize() did not foresee: this record's error, not the batch's
            log.exception("line %s: record could not be checked", line)
            report.rejected.append(_reject(line, rid, rtype, "-", f"could not be checked ({type(exc).__name__}: "
                                                                   f"{_short(str(exc), 120)})", known))
            continue
        key = (rtype, row["id"])
        if key in seen:
            first = seen[key]
            if first.row != row:
                report.rejected.append(Reject(line, row["id"], rtype, "id",
                                              f"same id as line {first.line} with different content", record))
            continue  # an exact repeat within the file is harmless
        seen[key] = item = _Item(line, rtype, table, row, record)
        items.append(item)

    with db.transaction(engine) as conn:
        accepted = _check_against_database(conn, items, report, now)
        _land(conn, accepted, report, now, source, tz)
        db.execute(conn, "intake_insert_import", file_name=source[-500:], file_sha256=file_sha256,
                   started_at=now, accepted=report.accepted, unchanged=report.unchanged,
                   updated=report.updated, rejected=len(report.rejected))
    report.rejected.sort(key=lambda r: r.line)
    return report


def write_generated(conn, records: list[dict], *, now: dt.datetime, tz: ZoneInfo) -> ImportReport:
    """Land complaints the system raises itself (F5, S2) inside the caller's transaction, through the
    same rows, decision events and sync queue as imported ones; an unchanged record changes nothing."""
    report = ImportReport(source="generated")
    items = []
    for n, record in enumerate(records, start=1):
        table, row = normalize(record, tz)  # a generator bug must fail loudly, not be skipped
        items.append(_Item(n, record["type"], table, row, record))
    _write(conn, items, report, now, "generated", tz)
    return report


def _str_or_none(value) -> str | None:
    return None if value is None else safe_text(str(value))[:120]


def _reject(line: int, rid: Any, rtype: Any, fld: str, reason: str, record: Any) -> Reject:
    """A reject whose every part can be printed and stored (a GBK id, a 1 MB "type" ...)."""
    rtype = rtype if isinstance(rtype, str) and rtype in TYPES else None
    rid = rid if isinstance(rid, (str, int)) and not isinstance(rid, bool) else None
    return Reject(line, _str_or_none(rid), rtype, safe_text(str(fld))[:60], safe_text(reason), record)


def _check_against_database(conn, items: list[_Item], report: ImportReport, now: dt.datetime) -> list[_Item]:
    """Reference and contradiction checks, in dependency order so a rejected record's dependants go too."""
    by_type: dict[str, list[_Item]] = defaultdict(list)
    for item in items:
        by_type[item.rtype].append(item)

    refs = {"department": set(), "team": set(), "staff": set(), "customer": set()}
    for item in items:
        for name, value in item.row.items():
            kind = _REFERENCE_KIND.get((item.rtype, name))
            if kind and value:
                refs[kind].add(value)
    known: dict[str, set[str]] = {k: set() for k in refs}
    for row in db.fetch(conn, "intake_existing_ids", department_ids=sorted(refs["department"]),
                        team_ids=sorted(refs["team"]), staff_ids=sorted(refs["staff"]),
                        customer_ids=sorted(refs["customer"])):
        known[row["kind"]].add(row["id"])
    # Records in this batch count as known once they pass (departments before teams before staff ...).
    batch_ids = {t: {i.row["id"] for i in by_type[t]} for t in ("department", "team", "staff", "customer")}
    for t, ids in batch_ids.items():
        known[t] |= ids

    complaint_ids = {i.row["id"] for i in by_type["complaint"]}
    linked = {i.row[k] for i in by_type["complaint"] for k in ("duplicate_of", "second_round_of") if i.row[k]}
    event_complaints = {i.row["complaint_id"] for i in by_type["event"]}
    existing_complaints = {r["id"]: r for r in db.fetch(
        conn, "intake_complaint_facts", record_ids=sorted(linked | event_complaints | complaint_ids))}

    accepted: list[_Item] = []
    rejected_ids: dict[str, set[str]] = defaultdict(set)
    checked = {(i.rtype, i.row["id"]) for i in items}
    for r in report.rejected:  # records whose own fields were wrong: their dependants go too ...
        if r.record_type and r.record_id and (r.record_type, r.record_id) not in checked:
            rejected_ids[r.record_type].add(r.record_id)  # ... unless a first version of the id goes on

    def reject(item: _Item, fld: str, reason: str) -> None:
        report.rejected.append(Reject(item.line, item.row["id"], item.rtype, fld, reason, item.raw))
        rejected_ids[item.rtype].add(item.row["id"])

    for rtype in TYPES[:-1]:
        for item in by_type[rtype]:
            problem = _reference_problem(item, known, rejected_ids, existing_complaints, complaint_ids)
            if problem:
                reject(item, *problem)
            elif rtype == "complaint" and item.row["received_at"] > now + FUTURE_SKEW:
                reject(item, "received_at", f"{item.row['received_at'].isoformat()} is in the future")
            else:
                accepted.append(item)
        if rtype in known:
            known[rtype] -= rejected_ids[rtype]

    complaints = {cid: {"kind": r["kind"], "received_at": r["received_at"]} for cid, r in existing_complaints.items()}
    for item in by_type["complaint"]:
        if item.row["id"] not in rejected_ids["complaint"]:
            complaints[item.row["id"]] = {"kind": item.row["kind"], "received_at": item.row["received_at"]}
    accepted.extend(_check_events(conn, by_type["event"], complaints, known, rejected_ids, reject, now))
    return accepted


_REFERENCE_KIND = {
    ("department", "manager_id"): "staff",
    ("team", "department_id"): "department",
    ("staff", "department_id"): "department", ("staff", "team_id"): "team", ("staff", "supervisor_id"): "staff",
    ("customer", "account_manager_id"): "staff",
    ("complaint", "filer_id"): "staff", ("complaint", "handler_id"): "staff",
    ("complaint", "customer_id"): "customer", ("complaint", "target_department_id"): "department",
    ("complaint", "target_staff_id"): "staff", ("complaint", "target_team_id"): "team",
    ("event", "actor_id"): "staff",
}


def _reference_problem(item, known, rejected_ids, existing_complaints, batch_complaints) -> tuple[str, str] | None:
    for name, value in item.row.items():
        kind = _REFERENCE_KIND.get((item.rtype, name))
        if kind and value and value not in known[kind]:
            why = " (its record in this file was rejected)" if value in rejected_ids[kind] else ""
            return name, f"unknown {kind} {value!r}{why}"
    if item.rtype == "complaint":
        for link in ("duplicate_of", "second_round_of"):
            target = item.row[link]
            if target and target not in existing_complaints and target not in batch_complaints:
                return link, f"unknown complaint {target!r}"
    return None


def _check_events(conn, events, complaints, known, rejected_ids, reject, now) -> list[_Item]:
    """Events must fit their complaint: known, after it was received, not in the future, stage of its kind,
    stages in order (a stage is not completed before the one it follows)."""
    stage_times: dict[str, dict[str, dt.datetime]] = defaultdict(dict)
    for r in db.fetch(conn, "intake_stage_times", record_ids=sorted({e.row["complaint_id"] for e in events})):
        stage_times[r["complaint_id"]][r["stage"]] = r["done_at"]
    existing = {r["event_key"]: r["content_hash"] for r in db.fetch(
        conn, "intake_existing_events", record_ids=[e.row["event_key"] for e in events])}
    accepted = []
    # Known events first, then by time: a file listing E2 before E1 is fine, times out of order are not.
    for item in sorted(events, key=lambda i: (i.row["occurred_at"], i.line)):
        row = item.row
        cid = row["complaint_id"]
        if row["event_key"] in existing:
            if existing[row["event_key"]] != row["content_hash"]:
                reject(item, "id", "event already recorded with different content (the event log is append-only)")
            else:
                accepted.append(item)  # counted as unchanged when landing
            continue
        complaint = complaints.get(cid)
        if complaint is None:
            why = " (its record in this file was rejected)" if cid in rejected_ids["complaint"] else ""
            reject(item, "complaint_id", f"unknown complaint {cid!r}{why}")
            continue
        if row["actor_id"] and row["actor_id"] not in known["staff"]:
            reject(item, "actor_id", f"unknown staff {row['actor_id']!r}")
            continue
        if row["occurred_at"] < complaint["received_at"]:
            reject(item, "occurred_at", f"{row['occurred_at'].isoformat()} is before complaint {cid} was received "
                                        f"({complaint['received_at'].isoformat()})")
            continue
        if row["occurred_at"] > now + FUTURE_SKEW:
            reject(item, "occurred_at", f"{row['occurred_at'].isoformat()} is in the future")
            continue
        if row["event_type"] == "forwarded" and complaint["kind"] != "internal":
            reject(item, "event_type", "only internal complaints are forwarded to a department head (I1)")
            continue
        if row["event_type"] == "stage_done":
            problem = _stage_problem(row, complaint["kind"], stage_times[cid])
            if problem:
                reject(item, "stage", problem)
                continue
            stage_times[cid][row["stage"]] = row["occurred_at"]
        accepted.append(item)
    return accepted


def _stage_problem(row: dict, kind: str, done: dict[str, dt.datetime]) -> str | None:
    stages = STAGES[kind]
    stage = row["stage"]
    if stage not in stages:
        return f"{stage} is not a stage of an {kind} complaint ({', '.join(stages)})"
    if stage in done:
        return f"{stage} of complaint {row['complaint_id']} is already done ({done[stage].isoformat()})"
    if kind == "external":  # E1..E4 run in sequence; internal I1 runs beside I2/I3
        position = stages.index(stage)
        before = [s for s in stages[:position] if s in done and done[s] > row["occurred_at"]]
        after = [s for s in stages[position + 1:] if s in done and done[s] < row["occurred_at"]]
        if before or after:
            other = (before or after)[0]
            return f"{stage} at {row['occurred_at'].isoformat()} is out of order with {other} at {done[other].isoformat()}"
    elif stage == "I2" and "I3" in done and done["I3"] < row["occurred_at"]:
        return f"I2 at {row['occurred_at'].isoformat()} is after the process was closed (I3)"
    elif stage == "I3" and "I2" in done and done["I2"] > row["occurred_at"]:
        return f"I3 at {row['occurred_at'].isoformat()} is before the initial investigation (I2)"
    return None


def _land(conn, items: list[_Item], report: ImportReport, now: dt.datetime, source: str, tz: ZoneInfo) -> None:
    """Write accepted records; on an unforeseen database refusal, isolate the record with savepoints."""
    try:
        with conn.begin_nested():
            _write(conn, items, report, now, source, tz)
    except (IntegrityError, DBAPIError) as exc:
        log.warning("batch refused by the database (%s); retrying record by record", str(exc).splitlines()[0])
        report.accepted = report.unchanged = report.updated = 0
        report.by_type.clear()
        for item in items:
            try:
                with conn.begin_nested():
                    _write(conn, [item], report, now, source, tz)
            except (IntegrityError, DBAPIError) as one:
                report.rejected.append(Reject(item.line, item.row["id"], item.rtype, "-",
                                              f"refused by the database: {str(one.orig or one).splitlines()[0]}",
                                              item.raw))


def _write(conn, items: list[_Item], report: ImportReport, now: dt.datetime, source: str, tz: ZoneInfo) -> None:
    by_type: dict[str, list[_Item]] = defaultdict(list)
    for item in items:
        by_type[item.rtype].append(item)
    for rtype in ("department", "team", "staff", "customer"):
        _write_master(conn, rtype, by_type[rtype], report)
    _write_complaints(conn, by_type["complaint"], report, now, source, tz)
    _write_events(conn, by_type["event"], report, now)


_MASTER_COLUMNS = {
    "department": ("name", "name_en", "manager_id"),
    "team": ("name", "department_id"),
    "staff": ("name", "email", "department_id", "team_id", "supervisor_id", "role", "language"),
    "customer": ("name", "phone", "account_manager_id"),
}


def _write_master(conn, rtype: str, items: list[_Item], report: ImportReport) -> None:
    if not items:
        return
    table = TABLES[rtype]
    existing = {r["id"]: r for r in db.fetch(conn, f"intake_existing_{table}", record_ids=[i.row["id"] for i in items])}
    changed = []
    for item in items:
        old = existing.get(item.row["id"])
        if old is not None and all(old.get(c) == item.row.get(c) for c in _MASTER_COLUMNS[rtype]):
            report.unchanged += 1
            continue
        if old is None:
            report.accepted += 1
            report.by_type[rtype] += 1
        else:
            report.updated += 1
        changed.append(item.row)
    if changed:
        conn.execute(db.query(f"intake_upsert_{rtype}"), changed)
        if rtype == "staff":
            conn.execute(db.query("intake_set_supervisor"),
                         [{"id": r["id"], "supervisor_id": r["supervisor_id"]} for r in changed])


_FACT_COLUMNS = tuple(k for k in FIELDS["complaint"] if k != "id") + ("received_date",)


def _write_complaints(conn, items: list[_Item], report: ImportReport, now: dt.datetime, source: str,
                      tz: ZoneInfo) -> None:
    if not items:
        return
    existing = {r["id"]: r for r in db.fetch(conn, "intake_existing_complaints", record_ids=[i.row["id"] for i in items])}
    rows, revisions = [], []
    for item in items:
        row = dict(item.row)
        old = existing.get(row["id"])
        if old is not None and old["content_hash"] == row["content_hash"]:
            report.unchanged += 1
            continue
        if old is None:
            report.accepted += 1
            report.by_type["complaint"] += 1
        else:
            report.updated += 1
            diff = {c: (old.get(c), row.get(c)) for c in _FACT_COLUMNS if _differs(old.get(c), row.get(c))}
            revisions.append({"complaint_id": row["id"], "changed_at": now, "source": source[-300:],
                              "old_values": json.dumps({c: a for c, (a, _) in diff.items()}, default=str, ensure_ascii=False),
                              "new_values": json.dumps({c: b for c, (_, b) in diff.items()}, default=str, ensure_ascii=False)})
        rows.append(row)
    if not rows:
        return
    conn.execute(db.query("intake_upsert_complaint"), [{**r, "duplicate_of": None, "second_round_of": None} for r in rows])
    _enqueue(conn, [r["id"] for r in rows], now)
    conn.execute(db.query("intake_set_complaint_links"),
                 [{"id": r["id"], "duplicate_of": r["duplicate_of"], "second_round_of": r["second_round_of"]} for r in rows])
    if revisions:
        conn.execute(db.query("intake_insert_revision"), revisions)


def _enqueue(conn, complaint_ids: Iterable[str], now: dt.datetime) -> None:
    """Their orders (deadlines) are derived again before the next daily run reads them."""
    conn.execute(db.query("intake_enqueue_sync"),
                 [{"complaint_id": cid, "queued_at": now} for cid in sorted(set(complaint_ids))])


def _differs(old: Any, new: Any) -> bool:
    if isinstance(new, Decimal) or isinstance(old, Decimal):
        return db.money(old) != db.money(new) if old is not None and new is not None else old != new
    if isinstance(new, dt.datetime) and old is not None:
        return db.as_utc(old) != new
    if isinstance(new, dt.date) and old is not None:
        return db.as_date(old) != new
    if isinstance(new, bool) and old is not None:
        return bool(old) != new
    return old != new


def _write_events(conn, items: list[_Item], report: ImportReport, now: dt.datetime) -> None:
    if not items:
        return
    known = {r["event_key"] for r in db.fetch(conn, "intake_existing_events", record_ids=[i.row["event_key"] for i in items])}
    rows = []
    for item in items:
        if item.row["event_key"] in known:
            report.unchanged += 1
            continue
        rows.append({k: v for k, v in item.row.items() if k != "id"} | {"recorded_at": now})
        report.accepted += 1
        report.by_type["event"] += 1
    if rows:
        conn.execute(db.query("intake_insert_event"), rows)
        _enqueue(conn, [r["complaint_id"] for r in rows], now)

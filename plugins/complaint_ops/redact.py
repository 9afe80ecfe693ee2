"""Customer phone numbers never reach a log or a mail unmasked (issue 8, security).

Mail templates get `mask_phone` (138****5678); logs are masked where they are made: `install()`
wraps the logging record factory so that every record of a `complaint_ops.*` logger has its phone
numbers masked before any handler sees it — Airflow's task log handler, pytest's capture, the CLI's
stderr alike, without each module having to remember. Only our own loggers are touched: a digit run
in Airflow's messages (a timestamp, a byte count) is not ours to rewrite.
"""

from __future__ import annotations

import logging
import re

PACKAGE = "complaint_ops"

# A mainland mobile number (+86 optional; 3-4-4 digits, spaces or dashes between groups), or a fixed
# line with its 0-prefixed area code (010-12345678, 0571 8888 6666). Digits glued to other digits
# are not phone numbers (ids, amounts, dates), hence the look-arounds.
PHONE_IN_TEXT = re.compile(
    r"(?<![\d*])(?:(?:\+|00)?86[ -]?)?(?:1[3-9]\d[ -]?\d{4}[ -]?\d{4}|0\d{2,3}[ -]?\d{7,8})(?![\d*])"
)


def mask_phone(phone: str | None) -> str:
    """138****5678: the first three and last four digits of a mobile number; shorter numbers keep
    only their last two digits. Never the whole number."""
    if not phone:
        return ""
    digits = re.sub(r"\D", "", str(phone))
    if len(digits) >= 11:
        return f"{digits[-11:-8]}****{digits[-4:]}"
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-2:]}" if len(digits) > 8 else "****" + digits[-2:]
    return "****" if digits else ""


def mask_phones(text: str) -> str:
    """`text` with every phone number in it masked."""
    return PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group()), text)


def _ours(name) -> bool:
    # logging.makeLogRecord (structlog's formatter uses it) calls the factory with name=None
    return isinstance(name, str) and (name == PACKAGE or name.startswith(PACKAGE + "."))


def _masking_factory(previous):
    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        if _ours(record.name):
            try:
                message = record.getMessage()
            except Exception:  # a bad format string stays the handler's problem, as it would be
                return record
            masked = mask_phones(message)
            if masked != message:
                record.msg, record.args = masked, None
        return record

    factory.complaint_ops_masking = True  # type: ignore[attr-defined]
    factory.previous = previous  # type: ignore[attr-defined]
    return factory


def install() -> None:
    """Mask phone numbers in every record of our loggers (idempotent; chains any existing factory)."""
    current = logging.getLogRecordFactory()
    if not getattr(current, "complaint_ops_masking", False):
        logging.setLogRecordFactory(_masking_factory(current))


def uninstall() -> None:
    """For tests that prove the masking is what keeps numbers out of the logs."""
    current = logging.getLogRecordFactory()
    if getattr(current, "complaint_ops_masking", False):
        logging.setLogRecordFactory(current.previous)

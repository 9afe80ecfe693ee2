"""Customer phone numbers never reach a log or a mail unmasked (issue 8 part 4), on SQLite and PostgreSQL.

A month of demo data is imported, ten business dates are run, every digest is rendered and sent to
the local capture, and a file of customers with malformed phone numbers is imported through the CLI;
every log record (captured at DEBUG), the CLI's stdout/stderr, and every stored message are searched
for each customer's number, however it is spaced.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from sqlalchemy import make_url, text

from complaint_ops import business_calendar, daily, demo, mail, redact
from complaint_ops.cli import main
from tests import figures
from tests.factories import NOW

END = dt.date(2026, 6, 30)
BAD_PHONES = ["tel 13912345678", "139-1234-5678 ext 9", "+86 137 1234 5678 / 0571-88886666"]


def spaced(number: str) -> re.Pattern:
    """The number's digits with any spaces or dashes between them (how people write them)."""
    digits = re.sub(r"\D", "", number)
    digits = digits[2:] if digits.startswith("86") and len(digits) == 13 else digits
    return re.compile(r"(?<!\d)" + r"[ \-]?".join(digits) + r"(?!\d)")


def test_phone_patterns_in_text_are_masked_and_other_numbers_are_not():
    assert redact.mask_phones("call 13812345678 or +86 139-1234-5678, office 0571-88886666") == \
        "call 138****5678 or 139****5678, office 571****6666"
    untouched = "complaint C20260301001, fine 100000000.00 CNY, 2026-03-02 10:00, 12 rows, order 4412345678901"
    assert redact.mask_phones(untouched) == untouched


def test_our_log_records_are_masked_and_only_ours(caplog):
    caplog.set_level(logging.INFO)
    logging.getLogger("complaint_ops.intake").warning("customer %s called from %s", "K1", "13812345678")
    logging.getLogger("someone.else").warning("build 13812345678")
    assert caplog.records[0].getMessage() == "customer K1 called from 138****5678"
    assert caplog.records[1].getMessage() == "build 13812345678"  # not ours to rewrite
    copied = logging.makeLogRecord(caplog.records[0].__dict__)  # structlog's formatter does this (name=None first)
    assert copied.getMessage() == "customer K1 called from 138****5678"


def test_without_the_masking_the_number_would_leak(caplog):
    """The control: the record factory, not luck, is what keeps numbers out of the log."""
    caplog.set_level(logging.INFO)
    redact.uninstall()
    try:
        logging.getLogger("complaint_ops.mail").warning("to %s", "13812345678")
    finally:
        redact.install()
    logging.getLogger("complaint_ops.mail").warning("to %s", "13812345678")
    assert [r.getMessage() for r in caplog.records] == ["to 13812345678", "to 138****5678"]


def test_no_phone_number_in_any_log_or_mail_over_a_demo_run_and_a_bad_import(engine, tmp_path, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    with engine.begin() as conn:
        business_calendar.fill(conn, dt.date(2025, 1, 1), dt.date(2026, 12, 31))
    result = demo.load(engine, demo.generate(months=1, seed=11, end_date=END, complaints=60), now=NOW, source="demo")
    assert not result.rejected
    daily.run_days(engine, END - dt.timedelta(days=9), END, now=NOW, mail="send")
    sent = mail.drain(engine, now=NOW, transport=mail.CaptureSettings(tmp_path / "outbox", mail.default_sender()))
    assert sent.get("sent", 0) > 0

    bad = tmp_path / "customers.jsonl"
    bad.write_text("".join(f'{{"type": "customer", "id": "BP{i}", "name": "客户{i}", "phone": "{p}"}}\n'
                           for i, p in enumerate(BAD_PHONES)), encoding="utf-8")
    url = engine.url.render_as_string(hide_password=False)
    assert main(["--db", url, "--verbose", "import", str(bad)]) == 1
    figures.count("bad inputs tried", len(BAD_PHONES))
    out, err = capsys.readouterr()

    with engine.connect() as conn:
        phones = [r[0] for r in conn.execute(text("SELECT phone FROM customers WHERE phone IS NOT NULL"))]
        stored = [" ".join(r) for r in conn.execute(text("SELECT subject, body_text, body_html FROM mail_outbox"))]
    assert len(phones) > 50 and stored
    logged = "\n".join(r.getMessage() for r in caplog.records) + "\n" + out + "\n" + err
    assert "139****5678" in err, "the malformed numbers were on the path to stderr, masked"
    captured = "\n".join(p.read_text(errors="replace") for p in (tmp_path / "outbox").rglob("*") if p.is_file())
    for number in phones + BAD_PHONES:
        pattern = spaced(number)
        assert not pattern.search(logged), f"{number} in a log"
        assert not any(pattern.search(s) for s in stored), f"{number} in a stored message"
        assert not pattern.search(captured), f"{number} in a sent message"


def test_a_task_failure_quoting_a_phone_number_is_mailed_to_ops_masked(engine, tmp_path, monkeypatch, caplog):
    """on_failure_callback mails the exception's text to ops: a database error's DETAIL may quote a row."""
    from types import SimpleNamespace

    from complaint_ops import ops

    url = make_url(engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("AIRFLOW_CONN_COMPLAINTS_DB", '{"conn_type": "sqlite", "host": "%s"}' % url.database
                       if url.get_backend_name() == "sqlite" else url.set(drivername="postgres").render_as_string(False))
    monkeypatch.setenv("COMPLAINT_OPS_VAR", str(tmp_path))
    monkeypatch.delenv("COMPLAINT_OPS_SMTP_URL", raising=False)
    error = ValueError("duplicate key: DETAIL Key (phone)=(13812345678) already exists")
    ops.on_task_failure({"ti": SimpleNamespace(dag_id="complaint_ops_daily", task_id="run_day", try_number=1),
                         "dag_run": SimpleNamespace(run_id="manual__1", run_type="manual"), "exception": error})
    with engine.connect() as conn:
        [(subject, body_text, body_html)] = conn.execute(text(
            "SELECT subject, body_text, body_html FROM mail_outbox WHERE kind = 'OPS'")).all()
    assert "138****5678" in body_text
    for where in (subject, body_text, body_html, caplog.text):
        assert not spaced("13812345678").search(where)

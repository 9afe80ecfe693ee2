"""Ops visibility: the data-quality findings (SQLite and PostgreSQL)."""

import datetime as dt

from sqlalchemy import text

from complaint_ops import ops
from tests.scenario import Scenario


def test_data_quality_reports_coverage_missing_emails_and_outbox_problems(engine):
    s = Scenario(engine)
    s.load([{"type": "staff", "id": "NOMAIL", "name": "无邮箱", "department_id": "FIN", "role": "staff"}])
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO mail_outbox (recipient_id, recipient_email, recipient_name, kind, period, business_date, language, "
            "subject, body_text, body_html, message_id, content_hash, state, attempts, created_at, updated_at) VALUES "
            "('GM', 'gm@example.com', 'GM', 'D1', '2026-03-04', '2026-03-04', 'zh', 's', 't', 'h', '<x@example.com>', "
            "'h', 'unknown', 1, '2026-03-04 12:00:00', '2026-03-04 12:00:00')"))
    findings = {f.check: f for f in ops.data_quality(engine, dt.date(2026, 12, 1))}
    assert findings["calendar_coverage"].count == 59  # 2027-01-01 .. 2027-02-28 are not on the calendar
    assert findings["staff_without_email"].detail.endswith("NOMAIL")
    assert findings["outbox_unknown"].count == 1 and "never resent" in findings["outbox_unknown"].detail
    assert "unknown_departments" not in findings

"""Header injection is refused against a real SMTP server (aiosmtpd), on SQLite and PostgreSQL (issue 8
part 4). Intake already refuses CR/LF in names and addresses (tests/bad_inputs/10, 11); these are the
values that reach the mail side another way - a bad sync of the staff table, an edited outbox row,
settings, the ops address list - and each must be refused before a byte reaches the server, while the
other messages still go out. test_mail_smtp.py covers a name and a subject; here: addresses.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from complaint_ops import mail
from tests import figures
from tests.integration.test_mail_smtp import T0, load_day, queue, queue_one, row, s, server, smtp  # noqa: F401

EVIL = "evil@example.com"
INJECTIONS = [
    "cs@example.com\r\nBcc: evil@example.com",
    "cs@example.com\nBcc: evil@example.com",
    "cs@example.com, evil@example.com",
    "cs@example.com>\r\nBcc: <evil@example.com",
    "cs@example.com\u2028Bcc: evil@example.com",
    "cs@example.com\tBcc: evil@example.com",
]


def nothing_evil_reached(handler) -> None:
    assert all(EVIL not in to for _f, to, _raw in handler.accepted)
    assert all(EVIL.encode() not in raw for raw in handler.data_seen)


def test_a_recipient_address_with_a_line_break_or_a_second_address_is_never_queued(s, smtp):  # noqa: F811
    handler, config = smtp
    load_day(s)
    for n, address in enumerate(INJECTIONS):
        with s.engine.begin() as conn:  # a bad sync of the staff table
            conn.execute(text("UPDATE staff SET email = :e WHERE id = 'HEAD_CS'"), {"e": address})
        counts = queue(s.engine)
        figures.count("bad inputs tried")
        assert counts["refused"] == 1, address
        assert counts["D1"] == (2 if n == 0 else 0) and counts["already_queued"] == (0 if n == 0 else 2 + 3)
    sent = mail.drain(s.engine, now=T0, transport=config)
    assert sent == {"sent": 2 + 3}  # FIN's head and the general manager's digests, three alerts
    with s.engine.connect() as conn:
        assert "HEAD_CS" not in {r["recipient_id"] for r in mail.listing(conn)}
    nothing_evil_reached(handler)


def test_an_outbox_row_edited_afterwards_is_rejected_at_sending(s, smtp):  # noqa: F811
    handler, config = smtp
    ids = [queue_one(s.engine, period=f"p{n}") for n in range(3)]
    with s.engine.begin() as conn:
        for outbox_id, address in zip(ids, INJECTIONS[:3]):
            conn.execute(text("UPDATE mail_outbox SET recipient_email = :e WHERE id = :i"), {"e": address, "i": outbox_id})
    figures.count("bad inputs tried", 3)
    assert mail.drain(s.engine, now=T0, transport=config) == {"rejected": 3}
    assert {(row(s.engine, i)["state"], row(s.engine, i)["attempts"]) for i in ids} == {("rejected", 1)}
    assert handler.data_seen == [] and handler.accepted == []


def test_settings_and_ops_addresses_with_line_breaks_are_refused(s, smtp, monkeypatch):  # noqa: F811
    handler, config = smtp
    monkeypatch.setenv("COMPLAINT_OPS_MAIL_FROM_NAME", "投诉管理系统\r\nBcc: evil@example.com")
    with pytest.raises(mail.HeaderInjection):
        mail.default_sender()
    monkeypatch.delenv("COMPLAINT_OPS_MAIL_FROM_NAME")
    with pytest.raises(mail.MailError):
        mail.parse_smtp_url("smtp://127.0.0.1:25?from=ops@example.com%0D%0ABcc:%20evil@example.com")
    with pytest.raises(mail.MailError):
        mail.send_ops(s.engine, subject="x", body="y", key="k", recipients=["ops@example.com\r\nBcc: evil@example.com"],
                      now=T0, transport=config)
    figures.count("bad inputs tried", 3)
    with s.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM mail_outbox")).scalar() == 0  # nothing half-queued
    # A subject with CR/LF from a template value is folded nowhere: refused (test_mail_smtp), and a
    # long one-line subject still goes out as a single header.
    assert mail.send_ops(s.engine, subject="数据质量 " * 40, body="正文", key="k2", recipients=["ops@example.com"],
                         now=T0, transport=config)["sent"] == 1
    [(_frm, to, raw)] = handler.accepted
    assert to == ["ops@example.com"] and raw.count(b"\nSubject:") == 1
    nothing_evil_reached(handler)


def test_markup_in_names_and_text_arrives_escaped_in_html_and_as_written_in_text(s, smtp):  # noqa: F811
    """Intake refuses '<' '>' in names, but '&' and quotes are legal, and a staff sync may bring more."""
    handler, config = smtp
    load_day(s)
    name, customer = '孙 & "主管" <b>x</b>', "K&R <i>贸易</i> '公司'"
    with s.engine.begin() as conn:
        conn.execute(text("UPDATE staff SET name = :n WHERE id = 'ACC1'"), {"n": name})
        conn.execute(text("UPDATE customers SET name = :n WHERE id = 'K3'"), {"n": customer})
    queue(s.engine)
    mail.drain(s.engine, now=T0, transport=config)
    figures.count("bad inputs tried", 2)
    seen = 0
    for _frm, _to, message in handler.messages():
        html = message.get_body(("html",)).get_content()
        plain = message.get_body(("plain",)).get_content()
        for value in (name, customer):
            if value in plain:
                seen += 1
                assert value not in html and "<b>x</b>" not in html and "<i>贸易</i>" not in html
                assert "&lt;b&gt;x&lt;/b&gt;" in html or "&lt;i&gt;贸易&lt;/i&gt;" in html
    assert seen >= 2, "the names were in the messages (text), escaped in HTML"

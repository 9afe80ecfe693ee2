"""The outbox and the sender against a real SMTP server (aiosmtpd on 127.0.0.1), on SQLite and PostgreSQL
(the digests issue, items 3, 4, 6 and 7): messages arrive and decode, recipients and scoping are right,
complaint text arrives escaped, phones masked; re-running a date sends nothing new; 451 is retried on a
later pass and delivered once; 554 is rejected with the reason; a connection dropped after DATA is
`unknown` and never resent; CR/LF in a subject or a name is refused; backfills mail nobody."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
import warnings
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import text

from complaint_ops import digests, mail
from tests import figures
from tests.factories import complaint, event
from tests.scenario import Scenario
from tests.smtp_server import Handler, free_port

UTC = dt.timezone.utc
DAY = dt.date(2026, 3, 3)
T0 = dt.datetime(2026, 3, 3, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai: after the day's run
SCRIPT = "<script>alert('x')</script> 账目错误"


@pytest.fixture(scope="module")
def server():
    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield handler, controller.port
    controller.stop()


@pytest.fixture
def smtp(server):
    handler, port = server
    handler.reset()
    config = mail.SmtpSettings(host="127.0.0.1", port=port, sender=mail.Sender("complaint-ops@example.com", "投诉管理系统"),
                               timeout=5, source="test")
    return handler, config


@pytest.fixture
def s(engine):
    return Scenario(engine)


def load_day(s):
    """FIN: C1 (a <script> in it) and C4 (major) new on 3 March, C3:E2 overdue since 25 February; CS: C2 new."""
    s.load([
        complaint("C3", received_at="2026-02-24T10:00:00+08:00", customer_id="K1"),
        event("c3e1", "C3", "E1", "2026-02-24T11:00:00+08:00"),
        complaint("C1", received_at="2026-03-03T10:00:00+08:00", summary=SCRIPT),
        complaint("C2", received_at="2026-03-03T11:00:00+08:00", target_department_id="CS", customer_id="K2",
                  summary="客服态度差"),
        complaint("C4", received_at="2026-03-03T09:00:00+08:00", customer_id="K3", major=True, summary="办公室漏水"),
    ])
    s.run("2026-02-24", "2026-03-03")


def queue(engine, day=DAY, **kw):
    with engine.begin() as conn:
        return digests.queue_for_day(conn, day, now=T0, **kw)


def queue_one(engine, recipient="HEAD_FIN", subject="【投诉日报】2026-03-03 财务部", period="2026-03-03") -> int:
    with engine.begin() as conn:
        staff = digests.Org.load(conn).staff[recipient]
        rendered = mail.Rendered("D1", staff["language"], subject, "正文\n", "<html><body><p>正文</p></body></html>")
        return mail.enqueue(conn, recipient=staff, kind="D1", period=period, business_date=DAY, rendered=rendered,
                            state="pending", now=T0)


def row(engine, outbox_id):
    with engine.connect() as conn:
        return mail.get(conn, outbox_id)


def by_recipient(handler):
    return {to[0]: msg for _frm, to, msg in handler.messages()}


def test_digests_and_alerts_arrive_decoded_scoped_escaped_and_masked(s, smtp):
    handler, config = smtp
    load_day(s)
    counts = queue(s.engine)
    assert counts["D1"] == 3 and counts["A1"] == 3  # D1: HEAD_FIN, HEAD_CS, GM; A1: HEAD_FIN, GM, CM
    assert mail.drain(s.engine, now=T0, transport=config) == {"sent": 6}
    got = handler.messages()
    assert sorted(to[0] for _f, to, _m in got) == sorted(["fin@example.com", "cs@example.com", "gm@example.com",  # D1
                                                          "fin@example.com", "gm@example.com", "cm@example.com"])  # A1
    assert {frm for frm, _to, _m in got} == {"complaint-ops@example.com"}
    d1 = {to[0]: m for _f, to, m in got if "daily" in m["Subject"] or "日报" in m["Subject"]}
    fin, cs, gm = d1["fin@example.com"], d1["cs@example.com"], d1["gm@example.com"]
    # Chinese and English subjects decode; the essentials are in them
    assert cs["Subject"] == "【投诉日报】2026-03-03 客服部：新投诉1件，逾期0单，罚款¥0.00"
    assert fin["Subject"] == "[Complaints daily] 2026-03-03 财务部: 2 new, 1 overdue, fines CNY 50.00"  # HEAD_FIN reads English
    assert gm["Subject"].startswith("【投诉日报】2026-03-03 全公司：新投诉3件，逾期1单")
    assert fin["To"] == "孙主管 <fin@example.com>" and "投诉管理系统" in fin["From"]
    texts = {k: (m.get_body(("plain",)).get_content(), m.get_body(("html",)).get_content()) for k, m in d1.items()}
    fin_text, fin_html = texts["fin@example.com"]
    cs_text, _ = texts["cs@example.com"]
    gm_text, _ = texts["gm@example.com"]
    # scoping: a department head sees their department; the general manager everything
    assert re.search(r"\bC1\b", fin_text) and re.search(r"\bC4\b", fin_text) and not re.search(r"\bC2\b", fin_text)
    assert re.search(r"\bC2\b", cs_text) and not re.search(r"\bC1\b", cs_text)
    assert all(re.search(rf"\b{c}\b", gm_text) for c in ("C1", "C2", "C4"))
    # overdue with days and fines so far: E2 due 25 Feb; 25, 26, 27, 28 (make-up Saturday), 2, 3 March
    assert re.search(r"C3:E2 .* 6 +50\.00 +300\.00", fin_text)
    # escaped in HTML, as written in text; phones masked everywhere
    assert "&lt;script&gt;" in fin_html and "<script>" not in fin_html
    assert SCRIPT in fin_text
    raw = b"".join(r for _f, _t, r in handler.accepted)
    assert b"13812345678" not in raw
    assert "138****5678" in fin_html and "138****5678" in fin_text
    for _f, _t, m in got:
        assert "13812345678" not in m.get_body(("plain",)).get_content() + m.get_body(("html",)).get_content()
    # the alert: at once, to the department's manager and the leadership
    alerts = [m for _f, _t, m in got if "重大投诉" in m["Subject"] or "MAJOR" in m["Subject"]]
    assert len(alerts) == 3 and all("C4" in m["Subject"] for m in alerts)
    # the Message-ID is the row's
    with s.engine.connect() as conn:
        ids = {r["message_id"] for r in mail.listing(conn)}
    assert {m["Message-ID"] for _f, _t, m in got} == ids


def test_rerunning_a_date_queues_and_sends_nothing_new(s, smtp):
    handler, config = smtp
    load_day(s)
    queue(s.engine)
    assert mail.drain(s.engine, now=T0, transport=config)["sent"] == 6
    s.run("2026-03-03")
    again = queue(s.engine)
    assert {k: again[k] for k in mail.KINDS} == {k: 0 for k in mail.KINDS} and again["already_queued"] == 6
    assert mail.drain(s.engine, now=T0 + dt.timedelta(days=1), transport=config) == {}
    assert len(handler.accepted) == 6


def test_451_is_retried_on_a_later_pass_and_delivered_once(s, smtp):
    handler, config = smtp
    outbox_id = queue_one(s.engine)
    handler.data_script = ["451 4.3.0 Mailbox busy, try again later"]
    assert mail.drain(s.engine, now=T0, transport=config) == {"failed": 1}
    r = row(s.engine, outbox_id)
    assert r["state"] == "failed" and r["last_code"] == 451 and "try again later" in r["last_error"]
    assert r["next_attempt_at"] == T0 + dt.timedelta(minutes=5) and r["attempts"] == 1
    assert mail.drain(s.engine, now=T0 + dt.timedelta(minutes=1), transport=config) == {}  # not due yet
    assert mail.drain(s.engine, now=T0 + dt.timedelta(minutes=6), transport=config) == {"sent": 1}
    r = row(s.engine, outbox_id)
    assert r["state"] == "sent" and r["attempts"] == 2 and r["sent_at"] == T0 + dt.timedelta(minutes=6)
    assert len(handler.accepted) == 1 and len(handler.data_seen) == 2
    assert mail.drain(s.engine, now=T0 + dt.timedelta(days=1), transport=config) == {}
    with s.engine.connect() as conn:
        assert [a["outcome"] for a in mail.attempts_of(conn, outbox_id)] == ["failed", "sent"]


def test_554_is_rejected_with_the_reason_and_never_retried(s, smtp):
    handler, config = smtp
    outbox_id = queue_one(s.engine)
    handler.data_script = ["554 5.7.1 Message refused by policy"]
    assert mail.drain(s.engine, now=T0, transport=config) == {"rejected": 1}
    r = row(s.engine, outbox_id)
    assert r["state"] == "rejected" and r["last_code"] == 554 and "refused by policy" in r["last_error"]
    assert r["next_attempt_at"] is None
    assert mail.drain(s.engine, now=T0 + dt.timedelta(days=1), transport=config) == {}
    assert handler.accepted == [] and len(handler.data_seen) == 1


def test_connection_dropped_after_data_is_unknown_and_delivered_at_most_once(s, smtp):
    handler, config = smtp
    outbox_id = queue_one(s.engine)
    other = queue_one(s.engine, recipient="HEAD_CS", period="x")
    handler.data_script = ["drop"]
    started = time.monotonic()
    assert mail.drain(s.engine, now=T0, transport=config) == {"unknown": 1, "sent": 1}  # the next one reconnects
    assert time.monotonic() - started < 2  # no yagmail retry loop (it would sleep 3 s and send again)
    r = row(s.engine, outbox_id)
    assert r["state"] == "unknown" and "after the message data was sent" in r["last_error"]
    assert len(handler.data_seen) == 2  # this message reached the server exactly once
    for later in (dt.timedelta(hours=1), dt.timedelta(days=3)):
        assert mail.drain(s.engine, now=T0 + later, transport=config) == {}
    with s.engine.connect() as conn:  # reported to ops
        assert [(r["id"], r["state"]) for r in mail.needing_attention(conn)] == [(outbox_id, "unknown")]
    assert len(handler.data_seen) == 2 and row(s.engine, other)["state"] == "sent"
    # ops checked it was not delivered: an explicit retry sends it once more
    assert mail.retry(s.engine, [outbox_id], T0 + dt.timedelta(days=3)) == 1
    assert mail.drain(s.engine, now=T0 + dt.timedelta(days=3), transport=config) == {"sent": 1}


def test_connection_dropped_before_data_is_retried_later_not_by_yagmail(s, smtp):
    handler, config = smtp
    outbox_id = queue_one(s.engine)
    handler.rcpt_script = ["drop"]
    started = time.monotonic()
    assert mail.drain(s.engine, now=T0, transport=config) == {"failed": 1}
    assert time.monotonic() - started < 2 and handler.data_seen == []
    assert "before the message data was sent" in row(s.engine, outbox_id)["last_error"]
    assert mail.drain(s.engine, now=T0 + dt.timedelta(minutes=10), transport=config) == {"sent": 1}


def test_server_down_is_a_temporary_failure_and_ends_the_pass(s, smtp):
    _handler, config = smtp
    outbox_id = queue_one(s.engine)
    second = queue_one(s.engine, recipient="HEAD_CS", period="x")
    down = mail.SmtpSettings(host="127.0.0.1", port=free_port(), sender=config.sender, timeout=2)
    figures.count("faults injected")  # nothing listens on that port
    assert mail.drain(s.engine, now=T0, transport=down) == {"failed": 1}  # not one timeout per message
    r = row(s.engine, outbox_id)
    assert r["state"] == "failed" and "cannot connect" in r["last_error"] and r["next_attempt_at"] > T0
    assert row(s.engine, second)["state"] == "pending" and row(s.engine, second)["attempts"] == 0
    assert mail.drain(s.engine, now=T0 + dt.timedelta(minutes=6), transport=config) == {"sent": 2}


def test_cr_lf_in_a_name_or_a_subject_is_refused(s, smtp):
    handler, config = smtp
    load_day(s)
    with s.engine.begin() as conn:  # a bad sync of the staff table (intake itself refuses control characters)
        conn.execute(text("UPDATE staff SET name = :n WHERE id = 'HEAD_CS'"), {"n": "李主管\r\nBcc: evil@example.com"})
    counts = queue(s.engine)
    assert counts["refused"] == 1 and counts["D1"] == 2
    with s.engine.connect() as conn:
        assert "HEAD_CS" not in {r["recipient_id"] for r in mail.listing(conn)}
    # a subject that slipped into the outbox with a line break is refused at sending too
    outbox_id = queue_one(s.engine, period="late")
    with s.engine.begin() as conn:
        conn.execute(text("UPDATE mail_outbox SET subject = :s WHERE id = :i"),
                     {"s": "日报\r\nBcc: evil@example.com", "i": outbox_id})
    result = mail.drain(s.engine, now=T0, transport=config)
    assert result["rejected"] == 1
    r = row(s.engine, outbox_id)
    assert r["state"] == "rejected" and "line break" in r["last_error"]
    assert all(b"evil@example.com" not in raw for _f, _t, raw in handler.accepted)
    assert all("evil@example.com" not in to for _f, to, _r in handler.accepted)


def test_backfill_archives_and_mails_nobody_until_asked(s, smtp):
    handler, config = smtp
    load_day(s)
    counts = queue(s.engine, send=False)
    assert counts["D1"] == 3 and counts["A1"] == 3
    with s.engine.connect() as conn:
        assert {r["state"] for r in mail.listing(conn)} == {"archived"}
    assert mail.drain(s.engine, now=T0, transport=config) == {}
    assert queue(s.engine)["released"] == 0  # the scheduled run does not release what a backfill archived
    assert mail.drain(s.engine, now=T0, transport=config) == {}
    released = queue(s.engine, kinds=["D1"], release_archived=True)  # `complaint-ops mail queue --date`
    assert released["released"] == 3
    assert mail.drain(s.engine, now=T0, transport=config) == {"sent": 3}
    assert handler.data_seen and len(handler.accepted) == 3


def test_two_drains_never_send_the_same_message(s, smtp):
    handler, config = smtp
    ids = [queue_one(s.engine, recipient=r, period=f"p{i}") for i in range(6) for r in ("HEAD_FIN", "HEAD_CS")]
    results = []

    def run():
        results.append(mail.drain(s.engine, now=T0, transport=config))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.get("sent", 0) for r in results) == len(ids)
    assert len(handler.accepted) == len(ids)
    assert len({message_from_bytes(raw)["Message-ID"] for _f, _t, raw in handler.accepted}) == len(ids)


def test_a_sender_that_died_mid_attempt_leaves_unknown(s, smtp):
    _handler, config = smtp
    outbox_id = queue_one(s.engine)
    with s.engine.begin() as conn:
        conn.execute(text("UPDATE mail_outbox SET state = 'sending', claim_token = 'x', claimed_at = :t, attempts = 1 "
                          "WHERE id = :i"), {"t": T0 - dt.timedelta(hours=1), "i": outbox_id})
    figures.count("faults injected")  # the sender died between claim and outcome
    assert mail.drain(s.engine, now=T0, transport=config) == {"unknown": 1, "recovered": 1}
    assert row(s.engine, outbox_id)["state"] == "unknown"


@pytest.fixture
def auth_server():
    handler = Handler()

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"ops@example.com" and auth_data.password == b"s3cret/pw"
        return AuthResult(success=ok, handled=False)

    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), authenticator=authenticator,
                            auth_require_tls=False, auth_required=True)
    with warnings.catch_warnings():  # AUTH without TLS: fine on 127.0.0.1 in a test
        warnings.simplefilter("ignore")
        controller.start()
    yield handler, controller.port
    controller.stop()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_login_with_explicit_credentials_never_a_keyring_or_prompt(s, auth_server, monkeypatch):
    handler, port = auth_server

    def boom(*a, **k):
        raise AssertionError("keyring or a prompt was consulted")

    import yagmail.password
    import yagmail.sender

    monkeypatch.setattr(yagmail.password, "handle_password", boom)
    monkeypatch.setattr(yagmail.sender, "handle_password", boom)
    monkeypatch.setattr(yagmail.password, "keyring", None)
    monkeypatch.setattr("getpass.getpass", boom)
    monkeypatch.setattr("builtins.input", boom)
    outbox_id = queue_one(s.engine)
    figures.count("faults injected")  # the server refuses our login
    wrong = mail.parse_smtp_url(f"smtp://ops%40example.com:nope@127.0.0.1:{port}?from=complaint-ops@example.com")
    assert mail.drain(s.engine, now=T0, transport=wrong) == {"failed": 1}
    assert "cannot connect to or log in" in row(s.engine, outbox_id)["last_error"] and handler.data_seen == []
    right = mail.parse_smtp_url(f"smtp://ops%40example.com:s3cret%2Fpw@127.0.0.1:{port}?from=complaint-ops@example.com")
    assert mail.drain(s.engine, now=T0 + dt.timedelta(hours=1), transport=right) == {"sent": 1}
    assert handler.accepted[0][0] == "complaint-ops@example.com"


def test_local_capture_writes_eml_and_html_with_the_charts_inline(s, tmp_path):
    s.load([complaint("C7", received_at="2026-02-10T10:00:00+08:00")])
    s.run("2026-02-09", "2026-03-02")
    counts = queue(s.engine, day=dt.date(2026, 3, 2))  # first working day of March: D2 and D3 for February
    assert counts["D2"] == 4 and counts["D3"] == 2  # D2: GM, CM, both heads; D3: the leadership
    capture = mail.CaptureSettings(tmp_path / "outbox", mail.Sender("complaint-ops@example.com"))
    result = mail.drain(s.engine, now=T0, transport=capture)
    assert result["sent"] == sum(counts[k] for k in mail.KINDS)
    folder = tmp_path / "outbox" / "2026-03-02"
    d2 = sorted(folder.glob("*-D2-GM.*"))
    assert [p.suffix for p in d2] == [".eml", ".html"]
    page = d2[1].read_text(encoding="utf-8")
    assert "data:image/png;base64," in page and "cid:" not in page and "客户月投诉统计表" in page
    eml = message_from_bytes(d2[0].read_bytes(), policy=policy.default)
    assert eml["Subject"].startswith("【客户月投诉统计表】2026年2月 全公司") and len(list(eml.iter_attachments())) == 0
    assert [p.get_content_type() for p in eml.walk()].count("image/png") == 2


def test_ops_notice_is_mailed_at_once_and_once_per_key(s, smtp):
    handler, config = smtp
    queue_one(s.engine)  # a digest waiting for the next pass is not sent by a notice
    kw = dict(subject="[complaint-ops] FAILED complaint_ops_daily.run_day (scheduled__2026-03-03)",
              body="Error: CalendarRangeError: 2027-01-04 is outside the business calendar\n\nClear the task to retry.",
              key="failure:complaint_ops_daily:scheduled__2026-03-03:run_day:1",
              recipients=["ops@example.com", "oncall@example.com"], now=T0, transport=config)
    assert mail.send_ops(s.engine, **kw) == {"queued": 2, "sent": 2}
    assert mail.send_ops(s.engine, **kw) == {}  # the same failure reported again: nothing new
    got = by_recipient(handler)
    assert set(got) == {"ops@example.com", "oncall@example.com"}
    notice = got["ops@example.com"]
    # (a parenthesis makes Python fold the whole subject onto a continuation line: unfolded, it is the same)
    assert notice["Subject"].strip() == kw["subject"] and notice["X-Complaint-Ops"].strip().startswith("OPS failure:")
    assert "CalendarRangeError" in notice.get_body(("plain",)).get_content()
    with s.engine.connect() as conn:
        assert {r["state"] for r in mail.listing(conn, kind="D1")} == {"pending"}

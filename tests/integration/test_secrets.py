"""Secrets come only from the environment or a Connection and never reach a log, an error, the CLI's
output or the database (issue 8 part 4). A real SMTP server (aiosmtpd) that requires AUTH; the
password is given in COMPLAINT_OPS_SMTP_URL; a wrong one first (the failure path logs the most),
then the right one; the send_mail task and `complaint-ops mail send` both run. The end-to-end twin,
with the password in Airflow Connections and every task log scanned, is tests/e2e/test_secrets_e2e.py.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import socket
import warnings
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import make_url, text

from complaint_ops import mail, tasks
from complaint_ops.cli import main
from tests.factories import complaint
from tests.scenario import Scenario

LOGIN = "ops@example.com"


class Recorder:
    def __init__(self):
        self.accepted = []

    async def handle_DATA(self, server, session, envelope):
        self.accepted.append(envelope.original_content)
        return "250 OK"


@pytest.fixture
def smtp_with_auth():
    password = "S3cr3t-" + secrets.token_urlsafe(12)
    seen = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        seen.append(auth_data.password.decode())
        return AuthResult(success=auth_data.login == LOGIN.encode() and auth_data.password == password.encode(),
                          handled=False)

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_require_tls=False, auth_required=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        controller.start()
    yield handler, port, password, seen
    controller.stop()


def smtp_url(port: int, password: str) -> str:
    return f"smtp://{quote(LOGIN, safe='')}:{quote(password, safe='')}@127.0.0.1:{port}?from=complaint-ops@example.com&timeout=5"


def test_an_smtp_password_in_a_bad_url_is_not_quoted_in_the_error():
    with pytest.raises(mail.HeaderInjection) as err:
        mail.parse_smtp_url("smtp://u:Hunter2-pw@h:25?from=a@b.cn\r\nX-Evil: 1")
    assert "Hunter2-pw" not in str(err.value)
    config = mail.parse_smtp_url("smtp://u:Hunter2-pw@h:25")
    assert "Hunter2-pw" not in repr(config) and "Hunter2-pw" not in config.describe()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_the_smtp_password_never_reaches_logs_output_or_the_database(engine, smtp_with_auth, monkeypatch, caplog,
                                                                        capsys):
    handler, port, password, seen = smtp_with_auth
    caplog.set_level(logging.DEBUG)
    s = Scenario(engine)
    s.load([complaint("C1", received_at="2026-03-03T10:00:00+08:00", summary="账目错误")])
    s.run("2026-03-03", mail="send")
    url = engine.url.render_as_string(hide_password=False)
    monkeypatch.delenv("AIRFLOW_CONN_COMPLAINTS_SMTP", raising=False)

    # A wrong password first: the failure is logged, stored and printed - without either password.
    wrong = "Wr0ng-" + secrets.token_urlsafe(12)
    monkeypatch.setenv("COMPLAINT_OPS_SMTP_URL", smtp_url(port, wrong))
    assert main(["--db", url, "--verbose", "mail", "send"]) == 0
    # The right one, through the daily DAG's send_mail task (Connection complaints_db -> this database).
    monkeypatch.setenv("COMPLAINT_OPS_SMTP_URL", smtp_url(port, password))
    monkeypatch.setenv("AIRFLOW_CONN_COMPLAINTS_DB", _airflow_conn(url))
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)  # the failed message's backoff has passed
    monkeypatch.setattr(tasks, "_now", lambda: later)
    result = tasks.send_mail({})
    out, err = capsys.readouterr()

    assert result.get("sent", 0) >= 1 and len(handler.accepted) == result["sent"]
    assert wrong in seen and password in seen, "both passwords were really used"
    with engine.connect() as conn:
        stored = "\n".join(str(v) for row in conn.execute(text(
            "SELECT o.last_error, a.detail, a.transport FROM mail_outbox o JOIN mail_attempts a ON a.outbox_id = o.id"))
            for v in row)
    assert "log in" in stored  # the failed attempt is recorded, with its reason
    everything = "\n".join(r.getMessage() for r in caplog.records) + caplog.text + out + err + stored + \
        "\n".join(raw.decode(errors="replace") for raw in handler.accepted)
    for secret in (password, wrong, quote(password, safe=""), quote(wrong, safe="")):
        assert secret not in everything


def _airflow_conn(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return '{"conn_type": "sqlite", "host": "%s"}' % parsed.database
    return parsed.set(drivername="postgres").render_as_string(hide_password=False)

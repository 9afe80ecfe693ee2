"""Secrets never reach Airflow's task logs (issue 8 part 4), end to end.

`airflow dags test complaint_ops_daily D` on PostgreSQL: the tasks connect as the application role and
the reporting role with passwords in their Connections, and mail goes through a real SMTP server
(aiosmtpd) that requires AUTH with a password from Connection `complaints_smtp`. Then every file under
AIRFLOW_HOME/logs, the command's own output and Airflow's metadata database are searched for each
password: none may appear. The run must really have used them: the server authenticated the login,
the digests arrived, data quality read as the reporting role.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from urllib.parse import quote

import pytest

from tests.e2e import harness
from tests.e2e.test_dag_test import DAY, dags_test

pytestmark = [pytest.mark.e2e, pytest.mark.pg,
              pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]  # 127.0.0.1 only
LOGIN = "ops@e2e.test"


class AuthSmtpCatcher(harness.SmtpCatcher):
    """The harness's SMTP catcher, requiring AUTH PLAIN/LOGIN (without TLS: 127.0.0.1 only)."""

    def __init__(self, password: str):
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        super().__init__()
        self.logins: list[bool] = []

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login == LOGIN.encode() and auth_data.password == password.encode()
            self.logins.append(ok)
            return AuthResult(success=ok, handled=False)

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, authenticator=authenticator,
                                     auth_require_tls=False, auth_required=True)


def test_no_password_in_any_task_log(tmp_path, pg_database):
    home = tmp_path / "airflow"
    home.mkdir()
    smtp_password = "SmtpPw-" + secrets.token_urlsafe(16)
    db_password, reporting_password = "AppPw-" + secrets.token_urlsafe(16), "RepPw-" + secrets.token_urlsafe(16)
    url = pg_database()
    harness.prepare_complaints_db(url).dispose()
    catcher = AuthSmtpCatcher(smtp_password).start()
    try:
        env = harness.airflow_env(home, AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}")
        harness.run_cli(["airflow", "db", "migrate"], env, home / "migrate.log", timeout=180)
        env.update({
            # Local PostgreSQL trusts 127.0.0.1, so these passwords are carried but not checked; the
            # SMTP server checks its own.
            "AIRFLOW_CONN_COMPLAINTS_DB": harness.airflow_conn_for(url, password=db_password),
            "AIRFLOW_CONN_COMPLAINTS_DB_REPORTING": harness.airflow_conn_for(url, harness.REPORTING_ROLE,
                                                                             password=reporting_password),
            "AIRFLOW_CONN_COMPLAINTS_SMTP": json.dumps({
                "conn_type": "smtp", "host": "127.0.0.1", "port": catcher.port, "login": LOGIN,
                "password": smtp_password, "extra": {"from_email": "complaint-ops@e2e.test", "timeout": 10}}),
        })
        dags_test(env, DAY, home / "dags-test.log")
    finally:
        catcher.stop()

    # The secrets were in use ...
    assert catcher.logins and all(catcher.logins), "the SMTP server authenticated the Connection's login"
    assert [m for m in catcher.messages if harness.OPS_EMAIL not in m.rcpt_tos], "digests were delivered"
    output = (home / "dags-test.log").read_text(errors="replace")
    assert '"read_as": "complaint_ops_reporting"' in output or "'read_as': 'complaint_ops_reporting'" in output

    # ... and appear nowhere: task logs, the command's output, Airflow's metadata database.
    files = [p for p in (home / "logs").rglob("*") if p.is_file()] + [home / "dags-test.log"]
    assert any("outbox pass" in p.read_text(errors="replace") for p in files), "task logs were written and scanned"
    meta = sqlite3.connect(home / "airflow.db")
    tables = [r[0] for r in meta.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    dumped = "\n".join(str(row) for t in tables for row in meta.execute(f'SELECT * FROM "{t}"'))
    meta.close()
    for secret in (smtp_password, db_password, reporting_password):
        for form in {secret, quote(secret, safe="")}:
            leaks = [str(p.relative_to(home)) for p in files if form in p.read_text(errors="replace")]
            assert not leaks, f"a password is in {leaks}"
            assert form not in dumped, "a password is in Airflow's metadata database"

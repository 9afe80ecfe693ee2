"""SMTP settings (env URL, Airflow Connection, local capture) and yagmail used safely (the digests issue,
items 4-5): explicit credentials only, one attempt, False / refused dicts are failures, verified TLS."""

import datetime as dt
import smtplib
import ssl
from types import SimpleNamespace

import pytest

from complaint_ops import mail


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in ("COMPLAINT_OPS_SMTP_URL", "AIRFLOW_CONN_COMPLAINTS_SMTP", "COMPLAINT_OPS_MAIL_FROM",
                 "COMPLAINT_OPS_MAIL_FROM_NAME", "COMPLAINT_OPS_MAIL_REPLY_TO"):
        monkeypatch.delenv(name, raising=False)


def test_url_with_starttls_credentials_and_sender():
    s = mail.parse_smtp_url("smtp://ops%40corp.cn:p%40ss%2Fw@smtp.corp.cn:587?from=reports@corp.cn&from_name=投诉系统&timeout=12")
    assert (s.host, s.port, s.login, s.password, s.ssl, s.starttls, s.timeout) == (
        "smtp.corp.cn", 587, "ops@corp.cn", "p@ss/w", False, True, 12.0)
    assert s.sender.address == "reports@corp.cn" and s.sender.name == "投诉系统"
    assert "p@ss/w" not in repr(s) and "p@ss/w" not in s.describe()


def test_url_defaults_ssl_on_smtps_and_plain_on_25_and_mailpit():
    assert mail.parse_smtp_url("smtps://u:p@mail.corp.cn").ssl is True
    assert mail.parse_smtp_url("smtps://u:p@mail.corp.cn").port == 465
    plain = mail.parse_smtp_url("smtp://relay.corp.cn")
    assert (plain.port, plain.ssl, plain.starttls, plain.login) == (25, False, False, None)
    assert mail.parse_smtp_url("smtp://mailpit:1025").starttls is False
    assert mail.parse_smtp_url("smtp://relay:25?starttls=true").starttls is True


def test_login_without_password_is_refused_never_prompted():
    with pytest.raises(mail.SettingsError, match="never looked up in a keyring or asked for"):
        mail.parse_smtp_url("smtp://ops@corp.cn@smtp.corp.cn:587")


def test_bad_settings_are_clear_errors():
    with pytest.raises(mail.SettingsError, match="scheme"):
        mail.parse_smtp_url("http://x")
    with pytest.raises(mail.SettingsError, match="not both"):
        mail.parse_smtp_url("smtp://h:465?ssl=1&starttls=1")
    with pytest.raises(mail.SettingsError, match="From address"):
        mail.parse_smtp_url("smtp://h?from=not-an-address")
    with pytest.raises(mail.SettingsError, match="line break"):
        mail.parse_smtp_url("smtp://h?from_name=a%0D%0ABcc:%20x@y.cn")


def test_capture_is_the_default(monkeypatch, tmp_path):
    monkeypatch.setenv("COMPLAINT_OPS_VAR", str(tmp_path))
    s = mail.smtp_settings()
    assert isinstance(s, mail.CaptureSettings) and s.directory == tmp_path / "outbox"
    assert isinstance(mail.parse_smtp_url("capture:/tmp/x"), mail.CaptureSettings)


def test_env_url_wins(monkeypatch):
    monkeypatch.setenv("COMPLAINT_OPS_SMTP_URL", "smtp://relay.corp.cn:2525")
    assert mail.smtp_settings().port == 2525


def test_airflow_connection_fields_and_extras():
    conn = SimpleNamespace(host="smtp.exmail.qq.com", port=465, login="ops@corp.cn", password="secret",
                           extra_dejson={"from_email": "reports@corp.cn", "timeout": 20})
    s = mail.settings_from_connection(conn)
    assert (s.host, s.port, s.ssl, s.starttls, s.login, s.password, s.timeout) == (
        "smtp.exmail.qq.com", 465, True, False, "ops@corp.cn", "secret", 20.0)
    assert s.sender.address == "reports@corp.cn"
    mailpit = mail.settings_from_connection(SimpleNamespace(host="mailpit", port=1025, login=None, password=None,
                                                            extra_dejson={}))
    assert (mailpit.ssl, mailpit.starttls, mailpit.login) == (False, False, None)
    provider_style = mail.settings_from_connection(SimpleNamespace(
        host="h", port=587, login=None, password=None, extra_dejson={"disable_ssl": True, "disable_tls": False}))
    assert (provider_style.ssl, provider_style.starttls) == (False, True)


def test_airflow_connection_from_the_environment(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_COMPLAINTS_SMTP",
                       '{"conn_type": "smtp", "host": "mailpit", "port": 1025, "extra": {"from_email": "ops@corp.cn"}}')
    s = mail.smtp_settings()
    assert isinstance(s, mail.SmtpSettings) and (s.host, s.port, s.sender.address) == ("mailpit", 1025, "ops@corp.cn")
    assert "Airflow Connection" in s.source


def test_yagmail_is_wrapped_safely(monkeypatch):
    cls = mail.yagmail_client_class()
    import yagmail.password

    def boom(*a, **k):
        raise AssertionError("keyring or a prompt was consulted")

    monkeypatch.setattr(yagmail.password, "keyring", SimpleNamespace(get_password=boom))
    monkeypatch.setattr("getpass.getpass", boom)
    monkeypatch.setattr("builtins.input", boom)
    with pytest.raises(mail.SettingsError, match="keyring"):
        cls.handle_password("ops@corp.cn", None)
    assert cls.handle_password("ops@corp.cn", "pw") == "pw"
    client = cls(user={"ops": "ops"}, password="pw", host="127.0.0.1", port=1, smtp_ssl=False, smtp_starttls=False,
                 soft_email_validation=False)
    assert client.user == "ops"  # not "ops@gmail.com": yagmail appends that to a bare string login
    assert client.connection is mail._TrackingSMTP
    client.ssl = True
    assert client.connection is mail._TrackingSMTP_SSL
    assert issubclass(mail.DeliveryUnknown, smtplib.SMTPException)
    assert not issubclass(mail.DeliveryUnknown, smtplib.SMTPServerDisconnected)  # yagmail's retry loop ignores it
    assert not issubclass(mail.ConnectionLost, smtplib.SMTPServerDisconnected)
    client.is_closed = True


def test_yagmail_results_other_than_an_empty_dict_are_failures():
    assert mail.check_send_result({}, "a@b.cn").startswith("accepted")
    with pytest.raises(mail.TemporaryFailure, match="False"):
        mail.check_send_result(False, "a@b.cn")
    with pytest.raises(mail.PermanentFailure, match="550"):
        mail.check_send_result({"a@b.cn": (550, b"mailbox unavailable")}, "a@b.cn")
    with pytest.raises(mail.TemporaryFailure, match="450"):
        mail.check_send_result({"a@b.cn": (450, b"greylisted")}, "a@b.cn")


def test_tls_verifies_certificates(monkeypatch):
    made = {}

    class Fake:
        def __init__(self, **kwargs):
            made.update(kwargs)
            self.smtp = None

        def set_logging(self, level):
            pass

        def login(self):
            pass

    monkeypatch.setattr(mail, "yagmail_client_class", lambda: Fake)
    transport = mail.SmtpTransport(mail.parse_smtp_url("smtp://u:p@h:587"))
    transport._connect()
    context = made["smtp_starttls"]["context"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert made["timeout"] == mail.DEFAULT_TIMEOUT and made["smtp_skip_login"] is False
    made.clear()
    mail.SmtpTransport(mail.parse_smtp_url("smtps://u:p@h"))._connect()
    assert made["context"].verify_mode == ssl.CERT_REQUIRED and made["smtp_ssl"] is True


def test_backoff_grows_and_is_capped():
    assert [int(mail.backoff(n).total_seconds() // 60) for n in range(1, 7)] == [5, 15, 45, 135, 240, 240]
    assert mail.backoff(1) == dt.timedelta(minutes=5)

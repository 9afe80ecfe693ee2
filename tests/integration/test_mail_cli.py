"""`complaint-ops mail queue|send|list|show|retry|render|settings` end to end (local capture)."""

import json

from complaint_ops.cli import main
from tests.factories import complaint
from tests.scenario import Scenario


def test_mail_commands(engine, tmp_path, monkeypatch, capsys):
    s = Scenario(engine)
    s.load([complaint("C1", received_at="2026-03-03T10:00:00+08:00", major=True)])
    s.run("2026-03-02", "2026-03-03")
    url = engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("COMPLAINT_OPS_SMTP_URL", f"capture:{tmp_path / 'outbox'}")

    assert main(["--db", url, "mail", "queue", "--date", "2026-03-03", "--no-send"]) == 0
    assert "archived (never sent)" in capsys.readouterr().out
    assert main(["--db", url, "mail", "send"]) == 0
    assert "nothing due" in capsys.readouterr().out
    assert main(["--db", url, "mail", "queue", "--date", "2026-03-03"]) == 0  # explicit: releases the archived ones
    out = capsys.readouterr().out
    assert "released" in out
    assert main(["--db", url, "mail", "send", "--no-send"]) == 0
    assert "nothing sent" in capsys.readouterr().out
    assert main(["--db", url, "mail", "send"]) == 0
    assert "sent 5" in capsys.readouterr().out  # D1: HEAD_FIN, GM (HEAD_CS has no news); A1: HEAD_FIN, GM, CM
    assert len(list((tmp_path / "outbox" / "2026-03-03").glob("*.eml"))) == 5

    assert main(["--db", url, "mail", "list", "--state", "sent", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 5 and {r["kind"] for r in rows} == {"D1", "A1"}
    assert main(["--db", url, "mail", "show", str(rows[0]["id"])]) == 0
    shown = capsys.readouterr().out
    assert "attempts:" in shown and "sent" in shown

    assert main(["--db", url, "mail", "retry", str(rows[0]["id"])]) == 1  # a sent message is not retried
    capsys.readouterr()

    out_dir = tmp_path / "preview"
    assert main(["--db", url, "mail", "render", "--kind", "D2", "--to", "HEAD_FIN", "--date", "2026-03-02",
                 "--out", str(out_dir)]) == 0
    assert sorted(p.suffix for p in out_dir.iterdir()) == [".eml", ".html", ".txt"]
    assert "[Monthly complaint statistics] Feb 2026" in capsys.readouterr().out  # HEAD_FIN reads English
    assert main(["--db", url, "mail", "render", "--kind", "A1", "--to", "GM", "--date", "2026-03-03",
                 "--out", str(out_dir), "--lang", "en"]) == 0
    assert "[MAJOR complaint]" in capsys.readouterr().out

    assert main(["mail", "settings"]) == 0
    assert "local capture" in capsys.readouterr().out

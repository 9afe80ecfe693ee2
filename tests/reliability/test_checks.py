"""The reliability checks find what they look for: each kind of violation is planted on purpose and
must be reported (a check that cannot fail would make the suite's zeros meaningless). Planted findings
are not counted in the suite's figures: only `checks.require` counts, and it is not called here."""

from __future__ import annotations

import datetime as dt

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from complaint_ops import daily, db, mail, ops
from tests.conftest import PG_ADMIN_URL
from tests.factories import NOW
from tests.reliability import checks
from tests.reliability.faults import StatementKiller
from tests.reliability.world import WINDOW, Templates, internal_ids, o1_reference, run_clean
from tests.smtp_server import Handler, free_port


@pytest.fixture(params=["sqlite", "postgresql"])
def templates(request, tmp_path):
    make_pg = request.getfixturevalue("pg_database") if request.param == "postgresql" else None
    made = Templates(request.param, tmp_path, PG_ADMIN_URL, make_pg)
    yield made
    made.close()


@pytest.fixture
def sqlite_templates(tmp_path):
    return Templates("sqlite", tmp_path)


def _clean(templates, days=WINDOW):
    url, name = templates.fresh()
    engine = db.make_engine(url)
    run_clean(engine, days)
    return engine


def _insert_copy(engine, row: dict, entry_key: str) -> None:
    """A second posting of an existing line (the ledger is append-only: inserting is all it allows)."""
    with engine.begin() as conn:
        full = db.typed_row(conn.execute(text("SELECT * FROM ledger WHERE id = :i"), {"i": row["id"]}).mappings().one())
        full.update(entry_key=entry_key)
        full.pop("id")
        conn.execute(db.query("ledger_insert"), full)


def test_a_line_posted_twice_is_found_by_every_ledger_check_and_a_repeated_key_is_refused(templates):
    engine = _clean(templates)
    rows = checks.ledger_rows(engine)
    twin = checks.Outcome.of(engine)
    assert not checks.ledger_invariants(rows) and not checks.against_twin(twin, twin)
    o1 = next(r for r in rows if r["rule"] == "O1" and r["complaint_id"] in internal_ids(engine))
    with pytest.raises(IntegrityError):  # one entry per idempotency key, by the database itself
        _insert_copy(engine, o1, o1["entry_key"])
    _insert_copy(engine, o1, o1["entry_key"].rpartition("|g")[0] + "|g7")  # same line, another generation
    rows = checks.ledger_rows(engine)
    assert checks.ledger_invariants(rows).ledger_duplicated
    found = checks.against_twin(checks.Outcome.of(engine), twin)
    assert found.ledger_duplicated and not found.ledger_lost
    found = checks.against_o1_reference(checks.o1_posted(rows, internal_ids(engine)), o1_reference(engine))
    assert [f for f in found.ledger_duplicated if o1["order_key"] in f] and not found.ledger_lost
    engine.dispose()


def test_a_lost_line_and_a_bad_reversal_are_found(sqlite_templates):
    engine = _clean(sqlite_templates)
    full = checks.Outcome.of(engine)
    lost = next(r for r in full.ledger if r["rule"] == "O1" and r["complaint_id"] == "A")
    partial = checks.Outcome([r for r in full.ledger if r is not lost], full.messages)
    assert checks.against_twin(partial, full).ledger_lost
    posted = checks.o1_posted(partial.ledger, internal_ids(engine))
    assert checks.against_o1_reference(posted, o1_reference(engine)).ledger_lost
    twice = {**lost, "id": -1, "entry_type": "reversal", "reverses_id": lost["id"], "entry_key": lost["entry_key"] + "|rev"}
    assert checks.ledger_invariants(full.ledger + [twice, {**twice, "id": -2, "entry_key": "x"}]).ledger_duplicated
    assert checks.ledger_invariants(full.ledger + [{**twice, "reverses_id": 10**6}]).ledger_lost
    fewer = checks.Outcome(full.ledger, frozenset(list(full.messages)[1:]))
    assert checks.against_twin(fewer, full).messages_lost
    engine.dispose()


def test_a_failed_run_that_left_rows_is_found(sqlite_templates):
    """run_days commits date by date: kill the second date's run and the first date's rows stay —
    the snapshot comparison the fault tests rely on sees them."""
    engines = []
    for _ in range(2):
        url, _name = sqlite_templates.fresh()
        engines.append(db.make_engine(url))
        daily.run_day(engines[-1], WINDOW[0], now=NOW)
    counter, killer = StatementKiller(engines[0]), StatementKiller(engines[1])
    counter.arm(10**9)
    daily.run_day(engines[0], WINDOW[1], now=NOW)
    before = checks.snapshot(engines[1])
    killer.arm(counter.seen + 3)  # three statements into the second date
    with pytest.raises(DBAPIError):
        daily.run_days(engines[1], WINDOW[1], WINDOW[2], now=NOW)
    assert killer.disarm() is not None
    assert "ledger" in checks.changed_tables(before, checks.snapshot(engines[1]))
    for engine in engines:
        engine.dispose()


@pytest.fixture
def smtp():
    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield handler, mail.SmtpSettings(host="127.0.0.1", port=controller.port, timeout=5, source="test",
                                     sender=mail.Sender("complaint-ops@example.com"))
    controller.stop()


def test_a_message_delivered_twice_one_never_sent_or_marked_sent_wrongly_is_found(sqlite_templates, smtp):
    handler, config = smtp
    engine = _clean(sqlite_templates, WINDOW[:2])
    assert checks.mail_settled(engine, []).messages_lost  # queued, not sent yet
    mail.drain(engine, now=NOW, transport=config)
    accepted = [m["Message-ID"] for _f, _t, m in handler.messages()]
    assert accepted and not checks.mail_settled(engine, accepted) and not checks.delivery_invariants(accepted)
    assert checks.mail_settled(engine, accepted[1:]).messages_lost  # marked sent, never accepted
    with engine.connect() as conn:
        first = mail.listing(conn)[0]["id"]
    with engine.begin() as conn:  # what a sender bug would do: a sent message back in the queue
        conn.execute(text("UPDATE mail_outbox SET state = 'pending', next_attempt_at = :t WHERE id = :i"),
                     {"t": NOW, "i": first})
    mail.drain(engine, now=NOW + dt.timedelta(minutes=1), transport=config)
    assert checks.delivery_invariants(handler.delivered_ids()).messages_duplicated
    engine.dispose()


def test_an_unknown_message_ops_is_not_told_about_is_found(sqlite_templates, smtp, monkeypatch):
    handler, config = smtp
    engine = _clean(sqlite_templates, WINDOW[:1])
    handler.data_script = ["drop"]
    assert mail.drain(engine, now=NOW, transport=config)["unknown"] == 1
    assert not checks.unknown_reported(engine, WINDOW[-1])
    real = mail.needing_attention
    monkeypatch.setattr(mail, "needing_attention", lambda conn: [r for r in real(conn) if r["state"] != "unknown"])
    assert checks.unknown_reported(engine, WINDOW[-1]).messages_lost
    monkeypatch.setattr(mail, "needing_attention", real)
    monkeypatch.setattr(ops, "data_quality", lambda engine, day: [])
    assert checks.unknown_reported(engine, WINDOW[-1]).messages_lost
    engine.dispose()

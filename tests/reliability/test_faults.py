"""Issue 8, part 2: fault injection with the real components, at every statement of a daily run.

The run of 2026-03-04 over the reliability world (tests/reliability/world.py) raises an F5 complaint,
posts P1/P5 and O1 breaches and accruals, queues digests: about everything a run writes. For each
statement of that run:

- the connection is killed (PostgreSQL: `pg_terminate_backend` from a second connection; SQLite: an
  I/O error) -> the run fails with the driver's error, nothing of it is left behind, and Airflow's
  retry ends exactly where a clean run ends (every table, ids aside);
- PostgreSQL only, through a TCP proxy (tests/reliability/pgproxy.py): the link is cut at each
  statement boundary, the message dropped or executed with its answer lost; at the COMMIT that means a
  run that committed while its client saw a failure -> the retry posts and queues nothing twice;
- the sender's own transactions lose their COMMIT acknowledgement (the claim, the outcome after the
  SMTP server accepted): no message is ever sent twice, and one whose fate is unknown is reported.

The SMTP faults themselves (451, 554, drops at RCPT and after DATA, server down, a sender that died)
are tests/integration/test_mail_smtp.py; they count in the suite's figures as well.
"""

from __future__ import annotations

import datetime as dt

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.exc import DBAPIError

from complaint_ops import daily, db, mail
from tests import figures
from tests.conftest import PG_ADMIN_URL
from tests.factories import NOW
from tests.reliability import checks
from tests.reliability.faults import StatementKiller
from tests.reliability.pgproxy import PgProxy, Plan
from tests.reliability.world import WINDOW, Templates, run_clean
from tests.smtp_server import Handler, free_port

DAY = dt.date(2026, 3, 4)
DISCONNECTED = ("terminating connection due to administrator command", "server closed the connection",
                "consuming input failed", "disk I/O error")


class Base:
    """Every date before DAY run cleanly, kept as a database to copy; and the clean run of DAY."""

    def __init__(self, templates: Templates):
        self.templates = templates
        url, self.name = templates.fresh()
        engine = db.make_engine(url)
        run_clean(engine, [d for d in WINDOW if d < DAY])
        engine.dispose()
        engine, name = self.copy()
        counter = StatementKiller(engine)
        counter.arm(10**9)  # counts, never fires
        daily.run_day(engine, DAY, now=NOW, mail="send")
        self.statements = counter.seen
        counter.disarm()
        self.clean = checks.content(engine)
        self.outcome = checks.Outcome.of(engine)
        self.done(engine, name)
        assert self.statements > 20 and len(self.outcome.ledger) > 20, "the run of DAY must do real work"

    def copy(self):
        url, name = self.templates.fresh(self.name)
        return db.make_engine(url), name

    def done(self, engine, name) -> None:
        engine.dispose()
        self.templates.drop(name)


@pytest.fixture(scope="module")
def bases(tmp_path_factory, request):
    """One Base per database kind for the module (each costs a window of runs)."""
    made: dict[str, Base] = {}

    def get(kind: str) -> Base:
        if kind not in made:
            tmp = tmp_path_factory.mktemp(kind)
            make_pg = request.getfixturevalue("pg_database") if kind == "postgresql" else None
            made[kind] = Base(Templates(kind, tmp, PG_ADMIN_URL, make_pg))
        return made[kind]

    yield get
    for base in made.values():
        base.templates.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def base(request, bases):
    return bases(request.param)


@pytest.fixture
def pg_base(bases):
    return bases("postgresql")


@pytest.fixture
def admin(pg_server):
    engine = db.make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


@pytest.fixture
def proxy():
    p = PgProxy()
    yield p
    p.close()


def _retry_equals_a_clean_run(base: Base, engine) -> None:
    """Airflow's retry of the failed task: the same end as a run that never failed."""
    daily.run_day(engine, DAY, now=NOW, mail="send")
    checks.require(checks.against_twin(checks.Outcome.of(engine), base.outcome), "retry after a fault")
    assert checks.changed_tables(checks.content(engine), base.clean) == []


def test_a_connection_killed_at_any_statement_fails_the_run_cleanly_and_the_retry_equals_a_clean_run(base, request):
    """A failed run must leave every table as it was; then the database is still the base, so the next
    statement is killed in the same database, and one retry at the end stands for them all."""
    admin = request.getfixturevalue("admin") if base.templates.kind == "postgresql" else None
    engine, name = base.copy()
    killer = StatementKiller(engine, admin)
    before = checks.snapshot(engine)
    for nth in range(1, base.statements + 1):
        killer.arm(nth)
        with pytest.raises(DBAPIError) as failure:
            daily.run_day(engine, DAY, now=NOW, mail="send")
        killed = killer.disarm()
        assert killed is not None
        figures.count("faults injected")
        assert any(s in str(failure.value) for s in DISCONNECTED), failure.value  # said plainly, not swallowed
        assert checks.changed_tables(before, checks.snapshot(engine)) == [], f"statement {nth} left rows: {killed}"
    _retry_equals_a_clean_run(base, engine)
    base.done(engine, name)


@pytest.mark.parametrize("forward", [True, False], ids=["executed-answer-lost", "never-arrived"])
def test_link_cut_at_the_commit_the_run_is_whole_or_absent_and_its_retry_posts_and_queues_nothing_twice(
        pg_base, proxy, forward):
    """executed-answer-lost: the run committed while its client saw a failure (what no client-side
    test can produce); never-arrived: the server rolls the transaction back."""
    engine, name = pg_base.copy()
    proxied = db.make_engine(proxy.url(name))
    before = checks.snapshot(engine)
    proxy.arm(Plan(forward=forward, commit=True))
    with pytest.raises(DBAPIError, match="server closed the connection"):
        daily.run_day(proxied, DAY, now=NOW, mail="send")
    assert proxy.disarm().commit_executed == forward
    figures.count("faults injected")
    if forward:
        assert checks.runs_of(engine, DAY) == 1  # the run the client saw fail is in
        committed = checks.Outcome.of(engine)
        checks.require(checks.against_twin(committed, pg_base.outcome), "the committed run")
        daily.run_day(engine, DAY, now=NOW, mail="send")  # Airflow retries the "failed" task
        checks.require(checks.retry_added(committed, checks.Outcome.of(engine)), "the retry")
        assert checks.changed_tables(checks.content(engine), pg_base.clean) == []
    else:
        assert checks.changed_tables(before, checks.snapshot(engine)) == []
        _retry_equals_a_clean_run(pg_base, engine)
    proxied.dispose()
    pg_base.done(engine, name)


def test_link_cut_at_any_statement_fails_the_run_cleanly_or_commits_it_whole(pg_base, proxy):
    """Every statement boundary of the run (each statement's Sync or simple query, then the COMMIT), the
    message alternately executed with its answer lost and never arrived. A failed run leaves the
    database unchanged (asserted after each cut), so one database serves every boundary; the retry
    after the last cut ends where a clean run ends. Each run starts on a new connection (the cut one is
    discarded), so no pool ping shifts the count."""
    engine, name = pg_base.copy()
    proxied = db.make_engine(proxy.url(name))
    with proxied.connect() as conn:  # the engine's first connection asks the server about itself: not a run's
        conn.invalidate()
    before = checks.snapshot(engine)
    for nth in range(1, 1000):
        forward = nth % 2 == 0
        proxy.arm(Plan(nth, forward))
        with pytest.raises(DBAPIError) as failure:
            daily.run_day(proxied, DAY, now=NOW, mail="send")
        cut = proxy.disarm()
        figures.count("faults injected")
        assert any(s in str(failure.value) for s in DISCONNECTED), failure.value
        if cut.message == "COMMIT":
            break
        assert checks.changed_tables(before, checks.snapshot(engine)) == [], f"cut at {nth} ({cut}) left rows"
    assert nth > 20
    if cut.commit_executed:
        committed = checks.Outcome.of(engine)
        daily.run_day(engine, DAY, now=NOW, mail="send")
        checks.require(checks.retry_added(committed, checks.Outcome.of(engine)), "the retry")
        assert checks.changed_tables(checks.content(engine), pg_base.clean) == []
    else:
        assert checks.changed_tables(before, checks.snapshot(engine)) == []
        _retry_equals_a_clean_run(pg_base, engine)
    proxied.dispose()
    pg_base.done(engine, name)


# --- the sender's transactions --------------------------------------------------------------------


@pytest.fixture
def smtp():
    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    config = mail.SmtpSettings(host="127.0.0.1", port=controller.port, timeout=5, source="test",
                               sender=mail.Sender("complaint-ops@example.com", "投诉管理系统"))
    yield handler, config
    controller.stop()


def _queued(pg_base, proxy):
    engine, name = pg_base.copy()
    daily.run_day(engine, DAY, now=NOW, mail="send")
    with engine.connect() as conn:
        assert len(mail.due(conn, NOW)) >= 3
    return engine, name, db.make_engine(proxy.url(name))


def _first(engine, state):
    with engine.connect() as conn:
        return [r for r in mail.listing(conn) if r["state"] == state]


def test_claim_commit_acknowledgement_lost_the_message_is_never_sent_twice_and_reported(pg_base, proxy, smtp):
    handler, config = smtp
    engine, name, proxied = _queued(pg_base, proxy)
    proxy.arm(Plan(2, commit=True))  # a pass commits its stale-claim recovery, then the claim of its first message
    with pytest.raises(DBAPIError):
        mail.drain(proxied, now=NOW, transport=config)
    assert proxy.disarm().commit_executed and handler.data_seen == []
    figures.count("faults injected")
    [claimed] = _first(engine, "sending")
    later = mail.drain(engine, now=NOW + dt.timedelta(minutes=1), transport=config)
    assert later["sent"] >= 2 and "unknown" not in later  # the others go; the claimed one waits
    assert mail.drain(engine, now=NOW + dt.timedelta(minutes=20), transport=config) == {"unknown": 1, "recovered": 1}
    checks.require(checks.delivery_invariants(handler.delivered_ids()), "deliveries")
    checks.require(checks.unknown_reported(engine, DAY), "unknown reported")
    assert [r["id"] for r in _first(engine, "unknown")] == [claimed["id"]]
    assert claimed["message_id"] not in handler.delivered_ids()  # unknown, though in fact never sent: ops checks
    proxied.dispose()
    pg_base.done(engine, name)


@pytest.mark.parametrize("forward", [True, False], ids=["outcome-committed", "outcome-lost"])
def test_outcome_commit_lost_after_the_server_accepted_is_never_sent_again(pg_base, proxy, smtp, forward):
    handler, config = smtp
    engine, name, proxied = _queued(pg_base, proxy)

    def cut_the_next_commit(_raw):  # the server has the message: the sender's next COMMIT records it
        handler.on_data = None
        proxy.arm(Plan(forward=forward, commit=True))

    handler.on_data = cut_the_next_commit
    with pytest.raises(DBAPIError):
        mail.drain(proxied, now=NOW, transport=config)
    cut = proxy.disarm()
    assert cut is not None and cut.commit_executed == forward
    figures.count("faults injected")
    [first] = handler.delivered_ids()
    for minutes in (1, 20, 60 * 24):
        mail.drain(engine, now=NOW + dt.timedelta(minutes=minutes), transport=config)
    delivered = handler.delivered_ids()
    checks.require(checks.delivery_invariants(delivered), "deliveries")
    checks.require(checks.unknown_reported(engine, DAY), "unknown reported")
    with engine.connect() as conn:
        row = next(r for r in mail.listing(conn) if r["message_id"] == first)
        states = {r["state"] for r in mail.listing(conn)}
    assert row["state"] == ("sent" if forward else "unknown")  # recorded, or reported: never resent
    assert delivered.count(first) == 1 and states <= {"sent", "unknown"}
    proxied.dispose()
    pg_base.done(engine, name)

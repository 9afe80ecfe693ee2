"""Issue 8, part 1: a Hypothesis state machine over the real engine, on SQLite and PostgreSQL.

Airflow runs a task at least once, admins re-run and backfill, facts get corrected, SMTP servers and
databases drop connections. The machine does all of that in random order to a small company whose
clean run posts a real ledger (O1 breaches and accruals, P1/P5, F5, follow-ups, digests, A1 alerts):

rules      run a date; re-run one already run; backfill a range in a random order; correct a fact
           through intake (a decision flips, received_at moves, severity facts, a stage done, a new
           complaint, ...) and re-run a range; drain the outbox while the SMTP server answers 451/554,
           drops at RCPT or after DATA, or is down; kill the database connection at the n-th statement
           of a run (PostgreSQL: pg_terminate_backend; SQLite: an I/O error); on PostgreSQL, cut the TCP
           link at the n-th statement of a run or right after its COMMIT reached the server (the
           acknowledgement lost), and at the sender's n-th COMMIT.
after each step   one ledger entry per idempotency key (L1), no line standing twice, sound reversals;
           at most one delivered message per (recipient, kind, period); every `unknown` outbox row
           reported to ops; a run that failed changed nothing (or, its COMMIT executed, everything).
at the end every date re-run once (the catch-up an operator does), a healthy mail pass; then the ledger
           equals a twin database's that got the same final data and ran each date once, in order,
           without faults (standing lines and net per party and rule), O1 equals a plain computation from
           POLICY.md, every message the twin queued is queued, every message marked sent was accepted.

CI runs a few examples per database (`EXAMPLES` below; derandomized when CI is set, so a red run is
reproducible); COMPLAINT_OPS_SOAK=1 runs many more with fresh randomness (COMPLAINT_OPS_SOAK_EXAMPLES,
default 300). A failure prints its steps and a `@reproduce_failure` blob; it is not shrunk unless
COMPLAINT_OPS_SHRINK=1 (each example costs seconds, shrinking one costs minutes).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os

import pytest
from aiosmtpd.controller import Controller
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy.exc import DBAPIError

from complaint_ops import daily, db, mail
from tests import figures
from tests.conftest import PG_ADMIN_URL
from tests.factories import NOW, complaint, event
from tests.reliability import checks
from tests.reliability.faults import StatementKiller
from tests.reliability.pgproxy import PgProxy, Plan
from tests.reliability.world import (LAST, TIMES, WINDOW, Templates, initial_complaints, internal, internal_ids, load,
                                     o1_reference, run_clean)
from tests.smtp_server import Handler, free_port

SOAK = os.environ.get("COMPLAINT_OPS_SOAK", "") not in ("", "0")
EXAMPLES = int(os.environ.get("COMPLAINT_OPS_SOAK_EXAMPLES", "300")) if SOAK else 10
STEPS = 30 if SOAK else 10
SHRINK = os.environ.get("COMPLAINT_OPS_SHRINK", "") not in ("", "0")  # minutes per failure: opt-in
STAGES = {"internal": ("I1", "I2", "I3"), "external": ("E1", "E2", "E3", "E4")}
SMTP_FAULTS = ("none", "451", "554", "drop after DATA", "drop at RCPT", "server down")
CHANGES = ("decision", "decision event", "stage done", "forwarded", "severity", "received", "withdrawn",
           "new complaint")


class Env:
    """What outlives one example: the template databases, the SMTP server, the TCP proxy."""

    def __init__(self, kind, templates, handler, port, proxy=None, admin=None):
        self.kind, self.templates, self.handler, self.proxy, self.admin = kind, templates, handler, proxy, admin
        self.twins: dict[str, checks.Outcome] = {}  # intake log -> the clean run's outcome
        sender = mail.Sender("complaint-ops@example.com", "投诉管理系统")
        self.smtp = mail.SmtpSettings(host="127.0.0.1", port=port, sender=sender, timeout=5, source="test")
        self.down = mail.SmtpSettings(host="127.0.0.1", port=free_port(), sender=sender, timeout=2, source="test")


@pytest.fixture(params=["sqlite", "postgresql"])
def env(request, tmp_path):
    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    proxy = admin = None
    if request.param == "postgresql":
        templates = Templates("postgresql", tmp_path, PG_ADMIN_URL, request.getfixturevalue("pg_database"))
        proxy, admin = PgProxy(), db.make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    else:
        templates = Templates("sqlite", tmp_path)
    yield Env(request.param, templates, handler, controller.port, proxy, admin)
    controller.stop()
    templates.close()
    if proxy:
        proxy.close()
        admin.dispose()


def _span(data, label: str) -> list[dt.date]:
    """A range of the window, in an order Hypothesis picks (a backfill's tasks run in any order)."""
    first = data.draw(st.integers(0, len(WINDOW) - 1), label=f"{label} first")
    length = data.draw(st.integers(0, len(WINDOW) - first), label=f"{label} length")
    return data.draw(st.permutations(WINDOW[first:first + length]), label=f"{label} order")


def step(fn):
    """A step that raises leaves the machine unhealthy: the teardown then only cleans up (its final
    checks would report the same fault again, or a consequence of it, over the original)."""
    @functools.wraps(fn)
    def wrapper(self, *args, **kwargs):
        self.healthy = False
        fn(self, *args, **kwargs)
        self.healthy = True
    return wrapper


class ComplaintOps(RuleBasedStateMachine):
    env: Env  # set by the test before the machine runs

    def __init__(self):
        super().__init__()
        figures.count("scenarios generated")
        self.url, self.name = self.env.templates.fresh()
        self.engine = db.make_engine(self.url)
        self.killer = StatementKiller(self.engine, self.env.admin)
        self.proxied = db.make_engine(self.env.proxy.url(self.name)) if self.env.proxy else None
        self.env.handler.reset()
        self.log: list[tuple[list[dict], int]] = []  # intake batches after the template, with what landed
        self.records = {r["id"]: r for r in initial_complaints()}
        self.ran: set[dt.date] = set()
        self.clock = NOW  # the sender's clock: queued rows are due from NOW
        self.events = 0
        self.healthy = True  # false once a step failed: the teardown then only cleans up

    # --- helpers ---------------------------------------------------------------------------------

    def _run(self, days):
        for day in days:
            daily.run_day(self.engine, day, now=NOW, mail="send")
            self.ran.add(day)

    # --- rules -----------------------------------------------------------------------------------

    @rule(day=st.sampled_from(WINDOW))
    @step
    def run_date(self, day):
        self._run([day])

    @precondition(lambda self: self.ran)
    @rule(data=st.data())
    @step
    def rerun_a_date_already_run(self, data):
        self._run([data.draw(st.sampled_from(sorted(self.ran)), label="date")])

    @rule(data=st.data())
    @step
    def backfill_in_random_order(self, data):
        self._run(_span(data, "backfill"))

    @rule(data=st.data())
    @step
    def correct_a_fact_and_rerun(self, data):
        what = data.draw(st.sampled_from(CHANGES), label="change")
        at = data.draw(st.sampled_from(TIMES), label="at").isoformat()
        self.events += 1
        eid = f"x{self.events}"
        if what == "new complaint":
            cid = f"N{len(self.records)}"
            if data.draw(st.booleans(), label="internal"):
                record = internal(cid, at, category=data.draw(st.sampled_from(["contract", "other"]), label="category"))
            else:
                record = complaint(cid, received_at=at, customer_id="K1", target_department_id="CS")
            batch = [record]
        else:
            cid = data.draw(st.sampled_from(sorted(self.records)), label="complaint")
            record = dict(self.records[cid])
            kind = record["kind"]
            if what == "decision":  # the record's own decision corrected (P1 posts, or is cancelled)
                record.update(upheld=data.draw(st.booleans(), label="upheld"), decided_at=at)
            elif what == "severity":  # P2: lowest severity the facts allow moves; amounts change
                field, value = data.draw(st.sampled_from([("bad_attitude", True), ("bad_attitude", False),
                                                          ("loss_amount", "0.00"), ("loss_amount", "300.00"),
                                                          ("delay_days", 3), ("delay_days", 0)]), label="fact")
                record[field] = value
            elif what == "received":  # I2/I3/E1 deadlines move
                record["received_at"] = at
            batch = [record]
            if what == "decision event":
                batch = [event(eid, cid, None, at, event_type="decision",
                               outcome=data.draw(st.sampled_from(["upheld", "rejected"]), label="outcome"))]
            elif what == "stage done":
                batch = [event(eid, cid, data.draw(st.sampled_from(STAGES[kind]), label="stage"), at)]
            elif what in ("forwarded", "withdrawn"):
                batch = [event(eid, cid, None, at, event_type=what)]
        report = load(self.engine, batch)  # intake may refuse a contradiction: the replay refuses it too
        self.log.append((batch, report.accepted + report.updated))
        if report.accepted + report.updated and batch[0]["type"] == "complaint":
            self.records[batch[0]["id"]] = batch[0]
        self._run(_span(data, "rerun"))

    @rule(fault=st.sampled_from(SMTP_FAULTS), affected=st.integers(1, 3), minutes=st.sampled_from([1, 10, 300]))
    @step
    def drain_the_outbox(self, fault, affected, minutes):
        self.clock += dt.timedelta(minutes=minutes)
        handler = self.env.handler
        answer = {"451": "451 4.3.0 Mailbox busy, try again later", "554": "554 5.7.1 Message refused by policy",
                  "drop after DATA": "drop"}.get(fault)
        if answer:
            handler.data_script = [answer] * affected
        if fault == "drop at RCPT":
            handler.rcpt_script = ["drop"] * affected
        transport = self.env.down if fault == "server down" else self.env.smtp
        with self.engine.connect() as conn:
            due = bool(mail.due(conn, self.clock))
        if fault == "server down" and due:
            figures.count("faults injected")
        mail.drain(self.engine, now=self.clock, transport=transport)
        handler.data_script, handler.rcpt_script = [], []  # what was not played does not leak into later steps

    @rule(day=st.sampled_from(WINDOW), nth=st.integers(1, 45))
    @step
    def kill_the_connection_mid_run(self, day, nth):
        before = checks.snapshot(self.engine)
        self.killer.arm(nth)
        failed = None
        try:
            daily.run_day(self.engine, day, now=NOW, mail="send")
        except DBAPIError as exc:
            failed = exc
        killed = self.killer.disarm()
        if killed is None:  # the run had fewer statements: it went through
            assert failed is None
            self.ran.add(day)
            return
        figures.count("faults injected")
        assert failed is not None, f"a run survived its connection killed at: {killed}"
        assert checks.changed_tables(before, checks.snapshot(self.engine)) == [], f"a failed run of {day} left rows"

    @precondition(lambda self: self.env.proxy is not None)
    @rule(day=st.sampled_from(WINDOW), nth=st.one_of(st.none(), st.integers(1, 45)), forward=st.booleans())
    @step
    def cut_the_link_mid_run(self, day, nth, forward):
        """nth=None: at the COMMIT; forward: the server executes the message, its answer is lost."""
        before, runs = checks.snapshot(self.engine), checks.runs_of(self.engine, day)
        self.env.proxy.arm(Plan(nth or 1, forward, commit=nth is None))
        failed = None
        try:
            daily.run_day(self.proxied, day, now=NOW, mail="send")
        except DBAPIError as exc:
            failed = exc
        cut = self.env.proxy.disarm()
        if cut is not None:
            figures.count("faults injected")
        if cut is not None and cut.commit_executed:
            assert failed is not None, "the client cannot know a commit whose answer it never got"
            assert checks.runs_of(self.engine, day) == runs + 1, "the COMMIT reached the server: the run is in"
            self.ran.add(day)
            committed = checks.Outcome.of(self.engine)
            self._run([day])  # Airflow's retry of the task that "failed"
            checks.require(checks.retry_added(committed, checks.Outcome.of(self.engine)),
                           "the retry after a lost COMMIT acknowledgement")
        elif failed is None:  # nothing cut, or the pool's ping on checkout (it reconnects)
            self.ran.add(day)
        else:
            assert checks.changed_tables(before, checks.snapshot(self.engine)) == [], f"a failed run of {day} left rows"

    @precondition(lambda self: self.env.proxy is not None)
    @rule(nth=st.integers(1, 6), forward=st.booleans(), minutes=st.sampled_from([1, 20]))
    @step
    def cut_the_link_mid_drain(self, nth, forward, minutes):
        """The sender's nth COMMIT (a stale-claim recovery, a claim, an outcome) cut: a message is left
        `sending`, becomes `unknown` once stale, and is never sent twice."""
        self.clock += dt.timedelta(minutes=minutes)
        self.env.proxy.arm(Plan(nth, forward, commit=True))
        try:
            mail.drain(self.proxied, now=self.clock, transport=self.env.smtp)
        except DBAPIError:
            pass
        if self.env.proxy.disarm() is not None:
            figures.count("faults injected")

    # --- after every step --------------------------------------------------------------------------

    @invariant()
    @step
    def nothing_posted_or_delivered_twice_and_unknown_reported(self):
        found = checks.ledger_invariants(checks.ledger_rows(self.engine))
        found += checks.delivery_invariants(self.env.handler.delivered_ids())
        found += checks.unknown_reported(self.engine, LAST)
        checks.require(found, "invariant")

    # --- at the end ------------------------------------------------------------------------------

    def teardown(self):
        try:
            if self.healthy:
                self._final_checks()
        finally:
            for engine in (self.engine, self.proxied):
                if engine is not None:
                    engine.dispose()
            self.env.templates.drop(self.name)

    def _final_checks(self):
        self._run(WINDOW)  # the catch-up: every date once more, with the final facts
        self.clock += dt.timedelta(days=1)  # past every backoff: a healthy pass sends what is due
        mail.drain(self.engine, now=self.clock, transport=self.env.smtp)
        found = checks.mail_settled(self.engine, [m["Message-ID"] for _f, _t, m in self.env.handler.messages()])
        found += checks.delivery_invariants(self.env.handler.delivered_ids())
        found += checks.unknown_reported(self.engine, LAST)
        found += checks.against_twin(checks.Outcome.of(self.engine), self._twin())
        rows = checks.ledger_rows(self.engine)
        found += checks.against_o1_reference(checks.o1_posted(rows, internal_ids(self.engine)), o1_reference(self.engine))
        checks.require(found, "final state")

    def _twin(self) -> checks.Outcome:
        """A clean run over the same final data: the intake log replayed into a fresh copy, every date
        run once, in order, without faults. Examples that changed the same facts share it."""
        key = json.dumps(self.log, sort_keys=True, default=str)
        if key in self.env.twins:
            return self.env.twins[key]
        url, name = self.env.templates.fresh()
        twin = db.make_engine(url)
        try:
            for batch, landed in self.log:
                report = load(twin, batch)
                assert report.accepted + report.updated == landed, f"replay differs: {batch} {report.rejected}"
            run_clean(twin)
            self.env.twins[key] = checks.Outcome.of(twin)
        finally:
            twin.dispose()
            self.env.templates.drop(name)
        return self.env.twins[key]


def test_state_machine_nothing_lost_posted_twice_or_sent_twice(env):
    ComplaintOps.env = env
    run_state_machine_as_test(ComplaintOps, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, database=None, print_blob=True,
        derandomize=bool(os.environ.get("CI")) and not SOAK, suppress_health_check=list(HealthCheck),
        phases=[p for p in Phase if p is not Phase.shrink or SHRINK]))

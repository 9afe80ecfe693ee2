"""Build the benchmark databases on PostgreSQL: `python bench/build.py 100k 1m 5m`.

Each database `co_bench_<size>` holds a demo company's history ending on the benchmark date, bulk
loaded (COPY), with the same organisation and PER_DAY complaints every working day at every size.
Its orders are derived and every business date up to the day before the benchmark date is settled
by the engine itself (one catch-up run, as after an import of history), so the database is in the
state a production system is in on the morning of the benchmark date. A database that exists is
kept (pass --rebuild to start again): building 5M takes the better part of an hour.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time

from common import END_DATE, HISTORY, PER_DAY, SEED, SIZES, admin_engine, db_name, db_url, exists, months_for, save
from sqlalchemy import Date, bindparam, text

from complaint_ops import business_calendar, daily, db, demo, intake, orders, settings
from complaint_ops.policy import load_policy


def build(size: str, rebuild: bool = False) -> dict:
    if exists(size) and not rebuild:
        print(f"{db_name(size)}: exists (--rebuild to start again)")
        return {}
    admin = admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name(size)}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{db_name(size)}"'))
    admin.dispose()
    engine = db.make_engine(db_url(size))
    tz = settings.business_timezone()
    now = dt.datetime.now(dt.timezone.utc)
    months, complaints = months_for(SIZES[size])
    start, _ = demo.period(months, END_DATE)
    figures: dict = {"size": size, "complaints": complaints, "months": months, "per_day": PER_DAY,
                     "start": start, "end": END_DATE}
    steps = figures["seconds"] = {}

    t = time.perf_counter()
    db.upgrade(engine)
    with db.transaction(engine) as conn:
        business_calendar.fill(conn, dt.date(start.year - 1, 1, 1), dt.date(END_DATE.year, 12, 31))
    steps["migrate+calendar"] = time.perf_counter() - t

    t = time.perf_counter()
    records = demo.generate(months, SEED, END_DATE, complaints, tz=tz, history=HISTORY)
    loaded = demo.load(engine, records, now=now, source=f"bench {size}", bulk=True, tz=tz)
    steps["bulk load"] = time.perf_counter() - t
    figures["rows"] = dict(loaded.rows)
    print(f"{db_name(size)}: loaded {complaints} complaints over {months} months in {steps['bulk load']:.0f} s")

    _analyze(engine)
    t = time.perf_counter()
    book = load_policy()
    with db.transaction(engine) as conn:  # derive every order once (what the first run after an import does)
        calendar = business_calendar.load(conn)
        orders.ensure_policy(conn, book, now)
        synced = orders.sync(conn, calendar, book, tz, now=now)
    steps["derive orders"] = time.perf_counter() - t
    figures["orders_derived_for"] = synced.complaints
    print(f"{db_name(size)}: derived orders of {synced.complaints} complaints in {steps['derive orders']:.0f} s")

    t = time.perf_counter()
    figures["generated_handled"] = handle_generated(engine, book, tz, now)
    steps["handle generated complaints"] = time.perf_counter() - t
    print(f"{db_name(size)}: worked {figures['generated_handled']} orders of generated complaints "
          f"in {steps['handle generated complaints']:.0f} s")

    _analyze(engine)
    t = time.perf_counter()
    with db.transaction(engine) as conn:
        calendar = business_calendar.load(conn)
    before = calendar.previous_working_day(END_DATE) if hasattr(calendar, "previous_working_day") else \
        daily._previous_working_day(calendar, END_DATE)
    daily.run_day(engine, before, now=now, book=book)  # the morning of the benchmark date
    steps["run the day before"] = time.perf_counter() - t
    figures["day_before"] = before
    _analyze(engine)
    with engine.connect() as conn:
        figures["table_rows"] = {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar()
                                 for t in ("complaints", "events", "orders", "ledger", "mail_outbox")}
        figures["database_size"] = conn.execute(text("SELECT pg_size_pretty(pg_database_size(current_database()))")).scalar()
    engine.dispose()
    save(f"build-{size}", figures)
    print(f"{db_name(size)}: ready ({figures['table_rows']}, {figures['database_size']})")
    return figures


# Generated complaints (S2, F5) are raised by the engine, so the demo has no events for them: left so,
# every one would stay open for ever. People handle them like any other: every order of theirs due
# before the benchmark date is done in time, round after round (closing one opens its follow-ups),
# through the same event rows intake writes.
STAGES = {"I": ("I1", "I2", "I3"), "E": ("E1", "E2", "E3", "E4")}
OPEN_GENERATED = text("""
SELECT o.order_key, o.complaint_id, o.rule, o.started_at, o.due_at, o.owner_id, c.kind AS complaint_kind,
       (SELECT COUNT(*) FROM events f WHERE f.complaint_id = c.id AND f.event_type = 'forwarded') AS forwarded
FROM orders o JOIN complaints c ON c.id = o.complaint_id
WHERE c.origin IS NOT NULL AND o.stop_at IS NULL AND o.due_date < :cutoff AND o.done_at IS NULL
""").bindparams(bindparam("cutoff", type_=Date()))


def handle_generated(engine, book, tz, now) -> int:
    cutoff = END_DATE
    day_start = dt.datetime.combine(END_DATE, dt.time(0), tzinfo=tz)
    worked = 0
    while True:
        with db.transaction(engine) as conn:
            todo = [dict(r) for r in conn.execute(OPEN_GENERATED, {"cutoff": cutoff}).mappings()]
            if not todo:
                return worked
            events = []
            for o in todo:
                started, due = db.as_utc(o["started_at"]), db.as_utc(o["due_at"])
                at = started + (due - started) / 3
                if o["complaint_kind"] == "internal" and not o["forwarded"] and o["rule"] == "I1":
                    events.append(_event(o, f"{o['complaint_id']}:FWD", "forwarded", None, started, None, tz, now))
                rule = o["rule"]
                if rule[0] in "IE":  # this stage and the ones after it, an hour apart: one round, not four
                    stages = STAGES[rule[0]]
                    for n, stage in enumerate(stages[stages.index(rule):]):
                        when = at + dt.timedelta(hours=n)
                        if n and when >= day_start:
                            break
                        events.append(_event(o | {"order_key": f"{o['complaint_id']}:{stage}"},
                                             f"{o['complaint_id']}:{stage}:done", "stage_done", stage, when, None, tz, now))
                elif rule in ("F1", "F3") and o["order_key"].endswith(("assignment", "reply_letter")):
                    events.append(_event(o, f"{o['order_key']}:done", "order_done", None, at, None, tz, now))
                elif rule == "S1":
                    events.append(_event(o, f"{o['order_key']}:done", "second_round_result", None, at, "improved", tz, now))
                else:  # F1/F2/F4 revisits
                    events.append(_event(o, f"{o['order_key']}:done", "revisit_done", None, at, "satisfied", tz, now,
                                         method="phone"))
            events = list({e["event_key"]: e for e in reversed(events)}.values())  # I1 and I2 open at once
            conn.execute(db.query("intake_insert_event"), events)
            conn.execute(db.query("intake_enqueue_sync"),
                         [{"complaint_id": c, "queued_at": now} for c in sorted({e["complaint_id"] for e in events})])
            orders.sync(conn, business_calendar.load(conn), book, tz, now=now)
            worked += len(todo)


def _event(order, key, event_type, stage, at, outcome, tz, now, method=None) -> dict:
    is_order = event_type in ("order_done", "revisit_done", "second_round_result")
    event = {"event_key": key, "complaint_id": order["complaint_id"], "order_key": order["order_key"] if is_order else None,
             "event_type": event_type, "stage": stage, "occurred_at": at, "occurred_date": at.astimezone(tz).date(),
             "actor_id": order["owner_id"], "outcome": outcome, "method": method, "signature": None,
             "note": "bench: handled in time"}
    return event | {"content_hash": intake.content_hash(event), "recorded_at": now}


def _analyze(engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("sizes", nargs="*", default=["100k", "1m", "5m"], choices=list(SIZES))
    p.add_argument("--rebuild", action="store_true", help="drop and build again even if the database exists")
    args = p.parse_args(argv)
    for size in args.sizes:
        build(size, args.rebuild)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Build the benchmark databases on PostgreSQL: `python bench/build.py 100k 1m 5m`.

`co_bench_100k` holds a demo company's last five months ending on the benchmark date, bulk loaded
(COPY), with PER_DAY complaints every working day. Its orders are derived by the engine, the
complaints the engine raised (S2, F5) are worked like any other, and the day before the benchmark
date is run, so the database is in the state of a production system on the morning of that date.

`co_bench_1m` and `co_bench_5m` are that database with older history in front of it: the base's
five months cloned further and further back (shifted by whole weeks, so every weekday stays a
weekday; ids prefixed `H<k>.`), complaints, events and orders alike, each clone's still-open orders
done in time (old history is closed). So the last five months, and the benchmark date's work, are
the very same rows at every size, and only history grows. (Deriving 5M complaints' orders through the
engine's own sync costs ~0.5 ms a complaint, over 40 minutes on this machine: the base is derived
that way, the clones copy the derived rows.) A database that exists is kept (--rebuild to redo).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time

from common import END_DATE, HISTORY, PER_DAY, SEED, SIZES, admin_engine, db_name, db_url, exists, load, months_for, save
from sqlalchemy import Date, bindparam, text

from complaint_ops import business_calendar, daily, db, demo, intake, orders, settings
from complaint_ops.policy import load_policy


def build(size: str, rebuild: bool = False) -> dict:
    if size in CLONED:
        return clone(size, rebuild)
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
    before = calendar.previous_working_day(END_DATE)
    daily.run_day(engine, before, now=now, book=book)  # the morning of the benchmark date
    steps["run the day before"] = time.perf_counter() - t
    figures["day_before"] = before
    _analyze(engine)
    figures.update(_sizes(engine))
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


# --- older history: clones of the base -------------------------------------------------------------

BASE = "100k"
CLONED = ("1m", "5m")
PREFIXED = {"complaints": ("id", "duplicate_of", "second_round_of", "origin_key"),
            "events": ("event_key", "complaint_id", "order_key"), "orders": ("order_key", "complaint_id")}
COLUMNS = text("SELECT column_name, data_type FROM information_schema.columns "
               "WHERE table_schema = current_schema() AND table_name = :t ORDER BY ordinal_position")
DONE = "(o.due_at - interval '1 hour')"  # an order open in the base is done an hour before its deadline


def clone(size: str, rebuild: bool) -> dict:
    if exists(size) and not rebuild:
        print(f"{db_name(size)}: exists (--rebuild to start again)")
        return {}
    if not exists(BASE):
        build(BASE)
    base = load(f"build-{BASE}")
    admin = admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name(size)}" WITH (FORCE)'))
        for attempt in range(60):  # TEMPLATE needs the base without other sessions
            try:
                conn.execute(text(f'CREATE DATABASE "{db_name(size)}" TEMPLATE "{db_name(BASE)}"'))
                break
            except Exception:
                if attempt == 59:
                    raise
                time.sleep(5)
    admin.dispose()
    engine = db.make_engine(db_url(size))
    start, end = dt.date.fromisoformat(str(base["start"])), dt.date.fromisoformat(str(base["end"]))
    weeks = -(-((end - start).days + 1) // 7)
    per_clone = base["table_rows"]["complaints"]
    clones = -(-(SIZES[size] - per_clone) // per_clone)
    figures = {"size": size, "base": BASE, "clones": clones, "weeks_per_clone": weeks, "per_day": PER_DAY,
               "end": END_DATE, "start": start - dt.timedelta(weeks=weeks * clones)}
    steps = figures["seconds"] = {}
    t = time.perf_counter()
    with db.transaction(engine) as conn:  # the base rows, apart: each clone reads them, not the growing tables
        statements = {table: _clone_sql(conn, table) for table in PREFIXED}
        for table in PREFIXED:
            conn.execute(text(f"CREATE TABLE bench_base_{table} AS SELECT * FROM {table}"))
    for k in range(1, clones + 1):
        params = {"prefix": f"H{k}.", "shift": dt.timedelta(weeks=weeks * k), "shift_days": 7 * weeks * k}
        with db.transaction(engine) as conn:  # one clone, all three tables, or nothing
            for table in PREFIXED:
                conn.execute(statements[table], params)
        print(f"{db_name(size)}: clone {k}/{clones} ({time.perf_counter() - t:.0f} s)", flush=True)
    steps["clone history"] = time.perf_counter() - t
    with db.transaction(engine) as conn:
        for table in PREFIXED:
            conn.execute(text(f"DROP TABLE bench_base_{table}"))
        calendar_start = figures["start"]
        business_calendar.fill(conn, dt.date(calendar_start.year - 1, 1, 1), dt.date(END_DATE.year, 12, 31))
    t = time.perf_counter()
    _analyze(engine)
    steps["vacuum analyze"] = time.perf_counter() - t
    figures.update(_sizes(engine))
    engine.dispose()
    save(f"build-{size}", figures)
    print(f"{db_name(size)}: ready ({figures['table_rows']}, {figures['database_size']})")
    return figures


def _clone_sql(conn, table: str):
    """INSERT ... SELECT of one table's base rows as clone :prefix, :shift earlier (names from the catalog)."""
    names, exprs = [], []
    for name, kind in conn.execute(COLUMNS, {"t": table}).all():
        if table == "events" and name == "id":
            continue  # a serial: new rows, new ids
        names.append(name)
        if name in PREFIXED[table]:
            exprs.append(f"CASE WHEN o.{name} IS NULL THEN NULL ELSE :prefix || o.{name} END")
        elif table == "orders" and name in ("done_at", "stop_at"):
            exprs.append(f"COALESCE(o.{name}, {DONE}) - :shift")
        elif table == "orders" and name == "stop_date":
            exprs.append(f"CASE WHEN o.stop_at IS NULL THEN CAST(({DONE} AT TIME ZONE 'Asia/Shanghai') AS date) "
                         "ELSE o.stop_date END - CAST(:shift_days AS integer)")
        elif kind.startswith("timestamp"):
            exprs.append(f"o.{name} - :shift")
        elif kind == "date":
            exprs.append(f"o.{name} - CAST(:shift_days AS integer)")
        else:
            exprs.append(f"o.{name}")
    return text(f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(exprs)} FROM bench_base_{table} o")


def _sizes(engine) -> dict:
    with engine.connect() as conn:
        return {"table_rows": {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar()
                               for t in ("complaints", "events", "orders", "ledger", "mail_outbox")},
                "database_size": conn.execute(text("SELECT pg_size_pretty(pg_database_size(current_database()))")).scalar()}


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

"""Demo data lands on SQLite and PostgreSQL: through intake with zero rejects, through the bulk path
with the expected row counts, both paths giving the same rows, and never into a non-empty database."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from complaint_ops import business_calendar, db, demo, followups, orders, policy
from complaint_ops.cli import main

END = dt.date(2026, 10, 30)
NOW = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.timezone.utc)
TZ = ZoneInfo("Asia/Shanghai")


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar() for t in demo.TABLES}


def expected_rows(records: list[dict]) -> dict[str, int]:
    """Rows a load must write: one per record, plus intake's sync-queue entry per complaint."""
    n = Counter(r["type"] for r in records)
    return {"departments": n["department"], "teams": n["team"], "staff": n["staff"], "customers": n["customer"],
            "complaints": n["complaint"], "order_sync_queue": n["complaint"], "events": n["event"]}


@pytest.fixture
def other_engine(engine, request, tmp_path):
    """A second empty, migrated database of the same kind as `engine`."""
    if engine.dialect.name == "sqlite":
        url = f"sqlite:///{tmp_path / 'other.db'}"
    else:
        url = request.getfixturevalue("pg_database")()
    eng = db.make_engine(url)
    db.upgrade(eng)
    yield eng
    eng.dispose()


def snapshot(engine) -> dict[str, list[dict]]:
    """Every demo table, ordered by its natural key, without surrogate ids and load times."""
    keys = {"events": "event_key", "order_sync_queue": "complaint_id"}
    out = {}
    with engine.connect() as conn:
        for table in demo.TABLES:
            rows = conn.execute(text(f"SELECT * FROM {table} ORDER BY {keys.get(table, 'id')}")).mappings()
            out[table] = [{k: db.as_utc(v) if k.endswith("_at") and v is not None else v
                           for k, v in r.items()
                           if k not in ("created_at", "recorded_at") and not (table == "events" and k == "id")}
                          for r in rows]
    return out


def test_a_two_month_demo_imports_through_intake_with_zero_rejects(engine):
    records = list(demo.generate(2, 7, END))
    result = demo.load(engine, records, now=NOW, source="demo-data test")
    assert result.path == "intake"
    assert [str(r) for r in result.rejected] == []
    assert counts(engine) == expected_rows(records)
    with engine.connect() as conn:
        upheld = conn.execute(text("SELECT COUNT(*) FROM complaints WHERE upheld = :t"), {"t": True}).scalar()
    assert upheld == sum(1 for r in records if r.get("upheld") is True)


def test_the_bulk_path_writes_the_expected_rows_for_2000_complaints(engine):
    records = list(demo.generate(6, 11, END, complaints=2000))
    result = demo.load(engine, iter(records), now=NOW, source="demo-data bulk test", bulk=True)
    assert result.path == "bulk" and result.records["complaint"] == 2000
    assert counts(engine) == expected_rows(records) == dict(result.rows)
    with engine.connect() as conn:
        imports = conn.execute(text("SELECT accepted, rejected FROM imports")).all()
    assert [tuple(r) for r in imports] == [(sum(expected_rows(records).values()), 0)]


def test_bulk_and_intake_paths_land_identical_rows(engine, other_engine):
    demo.load(engine, demo.generate(2, 7, END), now=NOW, source="same")
    demo.load(other_engine, demo.generate(2, 7, END), now=NOW, source="same", bulk=True)
    assert snapshot(other_engine) == snapshot(engine)


def test_a_bad_record_rolls_the_whole_bulk_load_back(engine):
    def broken():
        for i, r in enumerate(demo.generate(2, 7, END, complaints=300)):
            if r["type"] == "event" and r["event_type"] == "stage_done" and i > 1000:
                r = r | {"complaint_id": "NO-SUCH-COMPLAINT"}  # refused by the foreign key
            yield r

    with pytest.raises(Exception, match="(?i)foreign key"):
        demo.bulk_load(engine, broken(), now=NOW, source="broken")
    assert counts(engine) == dict.fromkeys(demo.TABLES, 0)


def test_demo_data_loads_an_empty_database_and_refuses_a_non_empty_one(engine, capsys):
    url = engine.url.render_as_string(hide_password=False)
    args = ["--db", url, "demo-data", "--months", "1", "--seed", "3", "--end-date", END.isoformat()]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "0 rejected" in out and "import validation" in out
    before = counts(engine)
    assert before["complaints"] > 0

    assert main(args) == 2
    assert "not empty" in capsys.readouterr().err
    assert counts(engine) == before


def test_demo_data_bulk_option_takes_the_bulk_path(engine, capsys):
    url = engine.url.render_as_string(hide_password=False)
    assert main(["demo-data", "--db", url, "--complaints", "500", "--bulk", "--end-date", END.isoformat()]) == 0
    assert "bulk load" in capsys.readouterr().out
    assert counts(engine)["complaints"] == 500


def test_the_example_file_imports_with_zero_rejects(engine):
    from pathlib import Path

    from complaint_ops import intake

    example = Path(__file__).resolve().parents[2] / "examples" / "intake_example.jsonl"
    report = intake.import_file(engine, example, now=NOW, write_rejects=False)
    assert [str(r) for r in report.rejected] == []
    assert report.accepted == len(example.read_text(encoding="utf-8").splitlines())
    with engine.connect() as conn:
        decided = dict(conn.execute(text("SELECT id, upheld FROM complaints ORDER BY id")).all())
    assert {k: bool(v) for k, v in decided.items()} == {"CP0001": True, "CP0002": True, "CP0003": False, "CP0004": False}


def sync_orders(engine) -> None:
    """Derive every complaint's orders (stages, follow-ups) as the daily run does; raise S2/F5."""
    with engine.begin() as conn:
        business_calendar.fill(conn, dt.date(2025, 1, 1), dt.date(2027, 6, 30), allow_estimated=True)
        orders.sync(conn, business_calendar.load(conn), policy.load_policy(), TZ, now=NOW)


def test_demo_follow_up_events_complete_the_orders_the_system_derives_by_their_owners(engine):
    """Every follow-up outcome the demo generates names a real order (keys, F4 numbering), completes it,
    is done by its owner and never before it starts; unhappy second rounds raise S2 complaints."""
    records = list(demo.generate(6, 7, END))
    result = demo.load(engine, records, now=NOW, source="demo follow-ups")
    assert [str(r) for r in result.rejected] == []
    sync_orders(engine)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT e.event_key, e.order_key, e.event_type, e.actor_id, e.occurred_at, o.kind, o.rule, o.owner_id, "
            "o.started_at, o.done_at FROM events e LEFT JOIN orders o ON o.order_key = e.order_key "
            "WHERE e.order_key IS NOT NULL")).mappings().all()
        second_rounds = dict(conn.execute(text(
            "SELECT second_round_of, id FROM complaints WHERE second_round_of IS NOT NULL")).all())
    generated = [r for r in records if r["type"] == "event" and r.get("order_key")]
    assert len(rows) == len(generated) > 500
    rules = Counter()
    for r in rows:
        assert r["kind"] is not None, f"{r['order_key']}: no such order"
        assert db.as_utc(r["done_at"]) == db.as_utc(r["occurred_at"]), r  # the event completes it
        assert db.as_utc(r["occurred_at"]) >= db.as_utc(r["started_at"]), r
        assert r["actor_id"] == r["owner_id"], r  # F1 account manager, F2 by weight, S1 the handler ...
        rules[r["rule"]] += 1
    assert set(rules) == {"F1", "F2", "F3", "F4", "S1"}
    unhappy = {r["complaint_id"] for r in generated
               if r["event_type"] == "second_round_result" and r["outcome"] in followups.UNHAPPY}
    assert len(unhappy) >= 2 and set(second_rounds) == unhappy
    assert all(second_rounds[c] == f"{c}-S2" for c in unhappy)


def test_the_example_file_completes_its_follow_up_orders_and_raises_a_second_round_complaint(engine):
    from pathlib import Path

    from complaint_ops import intake

    example = Path(__file__).resolve().parents[2] / "examples" / "intake_example.jsonl"
    report = intake.import_file(engine, example, now=NOW, write_rejects=False)
    assert [str(r) for r in report.rejected] == []
    sync_orders(engine)
    with engine.connect() as conn:
        done = dict(conn.execute(text(
            "SELECT order_key, done_at FROM orders WHERE kind <> 'stage' AND done_at IS NOT NULL")).all())
        overdue = conn.execute(text(
            "SELECT COUNT(*) FROM orders WHERE kind <> 'stage' AND done_at > due_at")).scalar()
        s2 = conn.execute(text("SELECT second_round_of FROM complaints WHERE id = 'CP0001-S2'")).scalar()
    assert set(done) == {"CP0001:S1", "CP0002:F1:assignment", "CP0002:revisit:1", "CP0002:F4:1.1", "CP0002:S1",
                         "CP0003:F1:assignment", "CP0003:F3:reply_letter"}
    assert overdue == 0  # the example's follow-ups are all done in time
    assert s2 == "CP0001"

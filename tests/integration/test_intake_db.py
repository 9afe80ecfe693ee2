"""Intake against SQLite and PostgreSQL: bad records rejected with line and reason, good ones land,
nothing half-written, re-import changes nothing, corrections are kept."""

import json

import pytest
from sqlalchemy import text

from complaint_ops import intake
from complaint_ops.cli import main
from tests import figures
from tests.factories import NOW, complaint, event, org


def count(engine, table):
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def test_100_records_with_3_broken_land_97_and_report_exactly_those_3(engine, tmp_path):
    records = org()
    n_org = len(records)
    for i in range(1, 45):  # 44 complaints
        records.append(complaint(f"C{i}", received_at=f"2026-03-{(i % 20) + 1:02d}T10:00:00+08:00"))
    n_events = 100 - len(records)  # the rest are events, none for C44
    for i in range(1, n_events + 1):
        n = (i % 43) + 1
        records.append(event(f"E{i}", f"C{n}", "E1" if i <= 43 else "E2", f"2026-03-{(n % 20) + 1:02d}T15:00:00+08:00"))
    assert len(records) == 100
    c44 = n_org + 43
    records[c44]["loss_amount"] = "-10"          # complaint C44: negative loss
    records[60]["complaint_id"] = "NOPE"         # an event of an unknown complaint
    records[99]["occurred_at"] = "2026-02-01T09:00:00+08:00"  # before its complaint was received
    path = write_jsonl(tmp_path / "batch.jsonl", records)

    report = intake.import_file(engine, path, now=NOW)

    assert [(r.line, r.field) for r in report.rejected] == [(c44 + 1, "loss_amount"), (61, "complaint_id"), (100, "occurred_at")]
    assert report.accepted == 97
    assert count(engine, "complaints") == 43 and count(engine, "events") == n_events - 2
    rejects = [json.loads(line) for line in (tmp_path / "batch.jsonl.rejects.jsonl").read_text().splitlines()]
    assert [r["line"] for r in rejects] == [c44 + 1, 61, 100]


def test_reimporting_the_same_file_changes_nothing(engine, tmp_path):
    records = org() + [complaint("C1", upheld=True, decided_at="2026-03-03T10:00:00+08:00"),
                       event("e1", "C1", "E1", "2026-03-02T15:00:00+08:00")]
    path = write_jsonl(tmp_path / "a.jsonl", records)
    first = intake.import_file(engine, path, now=NOW)
    before = {t: count(engine, t) for t in ("complaints", "events", "staff", "complaint_revisions")}
    second = intake.import_file(engine, path, now=NOW)
    assert first.ok and second.ok
    assert second.accepted == 0 and second.updated == 0 and second.unchanged == len(records)
    assert {t: count(engine, t) for t in before} == before


def test_a_changed_complaint_is_a_correction_kept_in_revisions(engine, tmp_path):
    base = org() + [complaint("C1", loss_amount="800.00")]
    intake.import_file(engine, write_jsonl(tmp_path / "a.jsonl", base), now=NOW)
    report = intake.import_file(engine, write_jsonl(tmp_path / "b.jsonl", [complaint("C1", loss_amount="300.00")]), now=NOW)
    assert report.updated == 1
    with engine.connect() as conn:
        loss = conn.execute(text("SELECT loss_amount FROM complaints WHERE id = 'C1'")).scalar()
        old, new = conn.execute(text("SELECT old_values, new_values FROM complaint_revisions")).one()
    assert str(loss) in ("300", "300.00", "300.0")
    assert json.loads(old) == {"loss_amount": "800.00"} and json.loads(new) == {"loss_amount": "300.00"}


def test_record_decision_is_a_fact_and_a_later_decision_event_wins(engine, tmp_path):
    from complaint_ops import facts

    intake.import_file(engine, write_jsonl(tmp_path / "a.jsonl", org() + [
        complaint("C1", upheld=True, decided_at="2026-03-03T10:00:00+08:00")]), now=NOW)
    intake.import_file(engine, write_jsonl(tmp_path / "b.jsonl", [
        event("d2", "C1", None, "2026-03-10T10:00:00+08:00", event_type="decision", outcome="rejected")]), now=NOW)
    with engine.connect() as conn:
        row = facts.rows(conn, ["C1"])[0]
    assert (row["upheld"], row["outcome_now"], str(row["decided_now_date"])) == (True, "rejected", "2026-03-10")


def test_a_corrected_record_decision_replaces_the_old_one_even_back_and_forth(engine, tmp_path):
    from complaint_ops import facts

    for n, (upheld, at) in enumerate([(True, "2026-03-05T10:00"), (False, "2026-03-05T10:00"),
                                      (True, "2026-03-05T10:00"), (False, "2026-03-04T16:00")]):
        intake.import_file(engine, write_jsonl(tmp_path / f"{n}.jsonl", (org() if n == 0 else []) + [
            complaint("C1", upheld=upheld, decided_at=at + ":00+08:00")]), now=NOW)
        with engine.connect() as conn:
            row = facts.rows(conn, ["C1"])[0]
        assert row["outcome_now"] == ("upheld" if upheld else "rejected")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM complaint_revisions")).scalar() == 3


def test_event_id_reused_with_other_content_is_rejected_append_only(engine, tmp_path):
    intake.import_file(engine, write_jsonl(tmp_path / "a.jsonl", org() + [complaint("C1"),
                       event("e1", "C1", "E1", "2026-03-02T15:00:00+08:00")]), now=NOW)
    report = intake.import_file(engine, write_jsonl(tmp_path / "b.jsonl", [
        event("e1", "C1", "E1", "2026-03-02T16:00:00+08:00")]), now=NOW)
    assert [(r.field, "append-only" in r.reason) for r in report.rejected] == [("id", True)]


@pytest.mark.parametrize(
    ("bad", "field", "reason"),
    [
        (event("x", "C1", "I2", "2026-03-02T15:00:00+08:00"), "stage", "not a stage of an external"),
        (event("x", "C1", "E1", "2030-01-01T00:00:00+08:00"), "occurred_at", "future"),
        (event("x", "C1", "E1", "2026-03-01T15:00:00+08:00"), "occurred_at", "before complaint"),
        (event("x", "C1", None, "2026-03-02T15:00:00+08:00", event_type="forwarded"), "event_type", "internal"),
        (event("x", "C1", "E2", "2026-03-02T11:00:00+08:00"), "stage", "out of order"),
        (event("x", "C1", "E1", "2026-03-02T16:00:00+08:00"), "stage", "already done"),
        (complaint("C9", filer_id="GHOST"), "filer_id", "unknown staff"),
        (complaint("C9", duplicate_of="C404"), "duplicate_of", "unknown complaint"),
    ],
)
def test_records_contradicting_what_is_known_are_rejected(engine, tmp_path, bad, field, reason):
    intake.import_file(engine, write_jsonl(tmp_path / "a.jsonl", org() + [
        complaint("C1"), event("e1", "C1", "E1", "2026-03-02T15:00:00+08:00")]), now=NOW)
    report = intake.import_file(engine, write_jsonl(tmp_path / "b.jsonl", [bad]), now=NOW)
    figures.count("bad inputs tried")
    assert len(report.rejected) == 1
    assert report.rejected[0].field == field and reason in report.rejected[0].reason


def test_rejected_record_takes_its_dependants_along_with_a_reason(engine, tmp_path):
    records = org() + [
        {"type": "staff", "id": "BAD", "name": "X\nY", "department_id": "FIN", "role": "staff"},
        complaint("C1", target_staff_id="BAD"),
        event("e1", "C1", "E1", "2026-03-02T15:00:00+08:00"),
    ]
    report = intake.import_file(engine, write_jsonl(tmp_path / "a.jsonl", records), now=NOW)
    reasons = {r.record_id: r.reason for r in report.rejected}
    assert "control character" in reasons["BAD"]
    assert "its record in this file was rejected" in reasons["C1"]
    assert "its record in this file was rejected" in reasons["e1"]
    assert count(engine, "complaints") == 0 and count(engine, "events") == 0


def test_same_id_twice_in_one_file_with_different_content(engine, tmp_path):
    records = org() + [complaint("C1"), complaint("C1", loss_amount="5.00"), complaint("C1")]
    report = intake.import_file(engine, write_jsonl(tmp_path / "a.jsonl", records), now=NOW)
    assert [(r.line, r.field) for r in report.rejected] == [(len(org()) + 2, "id")]
    assert count(engine, "complaints") == 1


def test_csv_with_type_option_and_line_numbers(engine, tmp_path):
    intake.import_file(engine, write_jsonl(tmp_path / "org.jsonl", org()), now=NOW)
    path = tmp_path / "complaints.csv"
    path.write_text(
        "id,kind,category,channel,filer_id,customer_id,target_department_id,received_at,loss_amount,summary\n"
        "C1,external,service,phone,CS1,K1,FIN,2026-03-02T10:00:00+08:00,800.00,\"多行\n摘要\"\n"
        "C2,external,service,phone,CS1,K1,FIN,2026-03-02T10:00:00+08:00,oops,x\n",
        encoding="utf-8")
    report = intake.import_file(engine, path, "complaint", now=NOW)
    assert report.accepted == 1
    assert [(r.line, r.field) for r in report.rejected] == [(4, "loss_amount")]  # physical line of C2


def test_gbk_file_names_the_record_and_field_and_lands_nothing_of_it(engine, tmp_path):
    path = tmp_path / "gbk.jsonl"
    path.write_bytes(json.dumps(complaint("C1", summary="账目错误"), ensure_ascii=False).encode("gbk"))
    report = intake.import_file(engine, path, now=NOW)
    [reject] = report.rejected
    assert (reject.line, reject.record_id, reject.field) == (1, "C1", "summary")
    assert "not UTF-8" in reject.reason and "'账目错误'" in reject.reason and "iconv -f GB18030" in reject.reason
    assert count(engine, "complaints") == 0


def test_cli_import_exit_status_and_stderr(engine, tmp_path, capsys):
    url = engine.url.render_as_string(hide_password=False)
    good = write_jsonl(tmp_path / "good.jsonl", org())
    assert main(["--db", url, "import", str(good)]) == 0
    bad = write_jsonl(tmp_path / "bad.jsonl", [complaint("C1", kind="sideways")])
    assert main(["--db", url, "import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "line 1: complaint C1: kind: 'sideways' is not one of internal, external" in err

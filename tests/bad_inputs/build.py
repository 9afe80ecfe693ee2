"""Writes the bad-input corpus (issue 8, part 3) and `cases.json`, what each file must do.

    python -m tests.bad_inputs.build     # rewrites the files next to this script

Each file mixes good and bad records. What a file must do is written here by hand next to the record
that causes it, not computed by the code under test: `ok(...)` lands, `bad(..., field, words)` is
rejected with a reason naming `field` and containing `words`, `dup(...)` is an exact repeat (skipped,
not an error). A file-level case (`file_error`) must be refused whole with nothing written. Every
file is imported after `00_org.jsonl` (the small company of tests/factories.py).
`tests/integration/test_bad_inputs.py` imports every file on SQLite and PostgreSQL and checks it.
Committed outputs (the corpus is data; this script documents and regenerates it).
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
MB = 1024 * 1024
TABLE = {"department": "departments", "team": "teams", "staff": "staff", "customer": "customers",
         "complaint": "complaints", "event": "events"}


def complaint(cid, **over):
    rec = {"type": "complaint", "id": cid, "kind": "external", "category": "service", "channel": "phone",
           "filer_id": "CS1", "customer_id": "K1", "target_department_id": "FIN",
           "received_at": "2026-03-02T10:00:00+08:00", "summary": "账目错误"}
    rec.update(over)
    return {k: v for k, v in rec.items() if v is not None}


def event(eid, cid, stage, at, event_type="stage_done", **extra):
    rec = {"type": "event", "id": eid, "complaint_id": cid, "event_type": event_type, "occurred_at": at}
    if stage:
        rec["stage"] = stage
    rec.update(extra)
    return rec


def staff(sid, name="测试员", **over):
    rec = {"type": "staff", "id": sid, "name": name, "department_id": "FIN", "role": "staff"}
    rec.update(over)
    return rec


# --- entries: (physical text of the record, expectation) -----------------------------------------


def _json(record) -> str:
    return record if isinstance(record, str) else json.dumps(record, ensure_ascii=False)


def ok(record, lines: int = 1):
    return {"text": record, "expect": "ok", "lines": lines}


def dup(record):
    return {"text": record, "expect": "dup", "lines": 1}


def bad(record, field: str, words: str, rid: str | None = "auto", lines: int = 1):
    return {"text": record, "expect": "bad", "field": field, "words": words, "rid": rid, "lines": lines}


def blank():
    return {"text": "", "expect": "blank", "lines": 1}


def _rid(entry) -> str | None:
    """The id the error must name: the record's own, unless given (None: the line is not a readable record)."""
    rec = entry["text"]
    if entry.get("rid") != "auto":
        return entry.get("rid")
    return rec.get("id") if isinstance(rec, dict) and isinstance(rec.get("id"), str) else None


def _rtype(entry) -> str | None:
    rec = entry["text"]
    return (rec if isinstance(rec, dict) else json.loads(rec)).get("type")


def jsonl_case(name: str, what: str, entries: list[dict], encoding: str = "utf-8", after: list[str] = (),
               stored: list = ()) -> dict:
    texts, rejects, lands, updated, line = [], [], {}, 0, 1
    landed, absent = [], []
    for entry in entries:
        texts.append(_json(entry["text"]) if entry["expect"] != "blank" else "")
        if entry["expect"] == "bad":
            rejects.append({"line": line, "id": _rid(entry), "field": entry["field"], "words": entry["words"]})
            if isinstance(entry["text"], dict) and isinstance(entry["text"].get("type"), str) \
                    and entry["text"]["type"] in TABLE and _rid(entry):
                absent.append([TABLE[entry["text"]["type"]], _rid(entry)])
        elif entry["expect"] == "ok":
            table = TABLE[_rtype(entry)]
            lands[table] = lands.get(table, 0) + 1
            landed.append([table, (entry["text"] if isinstance(entry["text"], dict) else json.loads(entry["text"]))["id"]])
        elif entry["expect"] == "corrected":
            updated += 1
        line += entry["lines"]
    data = "\n".join(texts) + "\n"
    (HERE / name).write_bytes(data.encode(encoding))
    # A rejected record must leave no row, unless its id is a good record's too (same id, other content).
    absent = [a for a in absent if a not in landed and a[1] not in after_ids(after)]
    return {"file": name, "what": what, "rejects": rejects, "lands": lands, "updated": updated, "after": list(after),
            "stored": list(stored), "landed_ids": landed, "absent_ids": absent}


def after_ids(files) -> set[str]:
    """Ids landed by the files a case is imported after."""
    ids = set()
    for f in files:
        for line in (HERE / f).read_text(encoding="utf-8").splitlines():
            ids.add(json.loads(line)["id"])
    return ids


def csv_case(name: str, what: str, header: str, rows: list[dict], encoding: str = "utf-8") -> dict:
    """rows: entries whose text is the CSV text of the row (possibly several physical lines)."""
    texts, rejects, lands, line = [header], [], {}, 2
    for entry in rows:
        texts.append(entry["text"])
        if entry["expect"] == "bad":
            rejects.append({"line": line, "id": entry["rid"], "field": entry["field"], "words": entry["words"]})
        elif entry["expect"] == "ok":
            lands["complaints"] = lands.get("complaints", 0) + 1
        line += entry["lines"]
    data = "\n".join(texts) + "\n"
    (HERE / name).write_bytes(data.encode(encoding))
    return {"file": name, "what": what, "rejects": rejects, "lands": lands, "updated": 0, "after": [], "stored": [],
            "landed_ids": [], "absent_ids": []}


def file_case(name: str, what: str, data: bytes, error: str) -> dict:
    (HERE / name).write_bytes(data)
    return {"file": name, "what": what, "file_error": error}


CSV_HEADER = "type,id,kind,category,channel,filer_id,customer_id,target_department_id,received_at,loss_amount,summary"


def csv_row(cid: str, summary: str = "账目错误", loss: str = "", **over) -> str:
    cells = {"type": "complaint", "id": cid, "kind": "external", "category": "service", "channel": "phone",
             "filer_id": "CS1", "customer_id": "K1", "target_department_id": "FIN",
             "received_at": "2026-03-02T10:00:00+08:00", "loss_amount": loss, "summary": summary}
    cells.update(over)
    return ",".join(cells[c] for c in CSV_HEADER.split(","))


def build() -> list[dict]:
    T = "2026-03-02T10:00:00+08:00"
    cases = []

    cases.append(jsonl_case("01_malformed_json.jsonl", "broken JSON lines among good ones", [
        ok(complaint("J1")),
        bad('{"type": "complaint", "id": "J2", "kind": "external",', "-", "invalid JSON", rid=None),
        bad("{'type': 'complaint', 'id': 'J3'}", "-", "invalid JSON", rid=None),
        bad(_json(complaint("J4"))[:-1] + ", }", "-", "invalid JSON", rid=None),
        bad('["complaint", "J5"]', "-", "must be an object", rid=None),
        bad('"just a string"', "-", "must be an object", rid=None),
        bad("null", "-", "must be an object", rid=None),
        bad(_json(complaint("J8")).replace('"summary": "账目错误"', '"loss_amount": NaN'), "-", "NaN is not a number",
            rid=None),
        bad('{"type": "complaint", "id": "J9", "id": "J9b"}', "id", "given twice", rid=None),
        bad('{"type": "complaint", "id": "J10", "summary": ' + "[" * 100_000 + "]" * 100_000 + "}", "-",
            "nested too deeply", rid=None),
        bad(complaint("J11", summary=json.loads("[" * 30 + "]" * 30)), "summary", "nested more than 20 levels"),
        blank(),
        ok(complaint("J12", summary="第一行\u2028第二行\u2029第三行")),  # raw U+2028/9 inside a JSON string: one line
        bad('{"type": "complaint", "id": "J13", "delay_days": 1' + "0" * 5000 + "}", "-", "invalid JSON", rid=None),
        bad(_json(complaint("J14")) + " trailing garbage", "-", "invalid JSON", rid=None),
        ok(event("J1e1", "J1", "E1", "2026-03-02T11:00:00+08:00")),
        bad("{}", "type", "not one of", rid=None),
        bad('{"type": "complaint", "id": "J16", "summary": "\\ud800"}', "summary", "unpaired UTF-16 surrogate", rid="J16"),
    ]))

    cases.append(csv_case("02_malformed.csv", "broken CSV rows among good ones; the last quote never closes",
                          CSV_HEADER, [
        ok(csv_row("V1")),
        bad(csv_row("V2") + ",extra,cells", "-", "more cells than the header", rid="V2"),
        bad(csv_row("V3", summary='"quoted"then text'), "-", "malformed CSV", rid=None),
        bad("complaint,V4,external", "received_at", "is required", rid="V4"),
        ok(csv_row("V5", summary='"多行\n摘要, with a comma"'), lines=2),
        bad(csv_row("V6", summary="账目错误" * (MB // 12 + 1)), "summary", "at most 10000", rid="V6"),
        bad(csv_row("V7", summary="a\x00b"), "summary", "control character", rid="V7"),
        blank(),
        ok(csv_row("V8", loss="800.00")),
        bad(csv_row("V9", summary='"never closed'), "-", "unclosed quote", rid=None),
        {"text": csv_row("V10"), "expect": "swallowed", "lines": 1},  # inside V9's open quote
    ]))

    cases.append(jsonl_case("03_wrong_types.jsonl", "fields of the wrong JSON type", [
        bad(complaint("W1", loss_amount=True), "loss_amount", "must be a decimal amount"),
        bad(_json(complaint("W2")).replace('"summary"', '"delay_days": 3.5, "summary"'), "delay_days", "not a whole number",
            rid="W2"),
        bad(complaint("W3", delay_days="three"), "delay_days", "not a whole number"),
        bad(complaint("W4", received_at=1772416800), "received_at", "must be an ISO 8601 timestamp string"),
        bad(complaint("W5", customer_lost="maybe"), "customer_lost", "not a boolean"),
        bad(complaint("W6", upheld=2, decided_at="2026-03-03T10:00:00+08:00"), "upheld", "not a boolean"),
        bad(complaint("W7", kind=1), "kind", "is not one of"),
        bad(complaint("W8", summary={"text": "x"}), "summary", "must be text, got dict"),
        bad(staff("W9", name=["张", "三"]), "name", "must be text, got list"),
        bad(complaint({"$gt": ""}), "id", "must be text, got dict", rid=None),
        bad(complaint("W11", loss_amount=[100]), "loss_amount", "must be a decimal amount"),
        ok(_json(complaint("W12", customer_lost="yes")).replace('"summary"', '"delay_days": 3.0, "summary"')),
        ok({"type": "customer", "id": "W13", "name": "数字电话客户", "phone": 13812345678}),
        bad(complaint("W14", delay_days=99999), "delay_days", "out of range"),
        bad(complaint("W15", handler_fine="1,000.00"), "handler_fine", "not a decimal amount"),
        bad(complaint("W16", type=["complaint"]), "type", "not one of", rid="W16"),
        bad({"type": "customer", "id": "W17", "name": "客户", "phone": "tel 138-1234-5678"}, "phone",
            "'tel 138****5678' is not a phone number"),
    ]))

    cases.append(jsonl_case("04_unknown_references.jsonl", "references to records that do not exist (or were rejected)", [
        bad(complaint("R1", filer_id="GHOST"), "filer_id", "unknown staff 'GHOST'"),
        bad(complaint("R2", target_department_id="NOPE"), "target_department_id", "unknown department 'NOPE'"),
        bad(complaint("R3", customer_id="K404"), "customer_id", "unknown customer 'K404'"),
        bad(complaint("R4", duplicate_of="C404"), "duplicate_of", "unknown complaint 'C404'"),
        bad(event("R5e", "C404", "E1", "2026-03-02T11:00:00+08:00"), "complaint_id", "unknown complaint 'C404'"),
        bad({"type": "team", "id": "R6", "name": "幽灵组", "department_id": "NOPE"}, "department_id", "unknown department"),
        bad(staff("R7", team_id="R6"), "team_id", "its record in this file was rejected"),
        bad(complaint("R8", target_staff_id="R7"), "target_staff_id", "its record in this file was rejected"),
        bad(event("R9e", "R9", "E1", "2026-03-02T11:00:00+08:00", actor_id="GHOST"), "actor_id", "unknown staff 'GHOST'"),
        ok(complaint("R9")),
        ok(event("R9e2", "R9", "E1", "2026-03-02T11:30:00+08:00", actor_id="CS1")),
        bad({"type": "department", "id": "R12", "name": "新部门", "manager_id": "GHOST"}, "manager_id", "unknown staff"),
        bad({"type": "customer", "id": "R13", "name": "客户", "account_manager_id": "GHOST"}, "account_manager_id",
            "unknown staff"),
        bad(complaint("R14", customer_id=None), "customer_id", "needs its customer"),
        bad(complaint("R15", second_round_of="R15"), "second_round_of", "cannot link to itself"),
    ]))

    cases.append(jsonl_case("05_events_out_of_order.jsonl", "events out of order, twice, too early, in the future", [
        ok(complaint("EV1")),
        ok(event("EV1e2", "EV1", "E2", "2026-03-02T15:00:00+08:00")),  # listed before E1, but later in time: fine
        ok(event("EV1e1", "EV1", "E1", "2026-03-02T11:00:00+08:00")),
        ok(complaint("EV3")),
        ok(event("EV3e2", "EV3", "E2", "2026-03-02T11:00:00+08:00")),  # E2 recorded first (in time) ...
        bad(event("EV3e1", "EV3", "E1", "2026-03-02T12:00:00+08:00"), "stage", "out of order with E2"),  # ... E1 after it
        bad(event("EV1e1b", "EV1", "E1", "2026-03-02T12:00:00+08:00"), "stage", "already done"),
        bad(event("EV1e4", "EV1", "E4", "2026-03-01T10:00:00+08:00"), "occurred_at", "before complaint EV1 was received"),
        bad(event("EV1e5", "EV1", "E4", "2099-06-01T10:00:00+08:00"), "occurred_at", "in the future"),
        ok(complaint("EV2", kind="internal", filer_id="HEAD_CS", customer_id=None, received_at="2026-03-03T09:00:00+08:00")),
        ok(event("EV2e3", "EV2", "I3", "2026-03-03T16:00:00+08:00")),
        bad(event("EV2e2", "EV2", "I2", "2026-03-03T17:00:00+08:00"), "stage", "after the process was closed"),
        bad(event("EV2e1", "EV2", "E1", "2026-03-03T10:00:00+08:00"), "stage", "not a stage of an internal"),
        bad(event("EV1f", "EV1", None, "2026-03-02T16:00:00+08:00", event_type="forwarded"), "event_type",
            "only internal complaints are forwarded"),
        bad(event("EV1d", "EV1", None, "2026-03-02T16:00:00+08:00", event_type="decision"), "outcome", "is required"),
        bad(event("EV1s", "EV1", None, "2026-03-02T16:00:00+08:00"), "stage", "is required"),
        bad(event("EV1r", "EV1", None, "2026-03-09T10:00:00+08:00", event_type="revisit_done", order_key="EV2:revisit:1",
                  method="phone", outcome="satisfied"), "order_key", "is not an order"),
    ]))

    cases.append(jsonl_case("06_amounts.jsonl", "negative, NaN, infinite, huge and malformed amounts", [
        bad(complaint("A1", loss_amount="-5"), "loss_amount", "negative"),
        bad(complaint("A2", loss_amount="NaN"), "loss_amount", "not a finite amount"),
        bad(complaint("A3", loss_amount="-Infinity"), "loss_amount", "not a finite amount"),
        bad(_json(complaint("A4")).replace('"summary"', '"loss_amount": 1e20, "summary"'), "loss_amount",
            "larger than the largest plausible amount", rid="A4"),
        bad(complaint("A5", loss_amount="1e400"), "loss_amount", "larger than"),
        bad(_json(complaint("A6")).replace('"summary"', '"loss_amount": 1E+999999, "summary"'), "loss_amount",
            "larger than", rid="A6"),
        bad(complaint("A7", loss_amount="0.001"), "loss_amount", "more than two decimals"),
        bad(complaint("A8", loss_amount="¥500"), "loss_amount", "not a decimal amount"),
        bad(complaint("A9", loss_amount="100000000.01"), "loss_amount", "larger than"),
        ok(complaint("A10", loss_amount="100000000.00")),
        ok(complaint("A11", loss_amount="-0")),
        bad(complaint("A12", handler_fine="-100"), "handler_fine", "negative"),
        bad(complaint("A13", loss_amount="５００"), "loss_amount", "not a decimal amount"),
        ok(complaint("A14", loss_amount="")),
        ok(_json(complaint("A15")).replace('"summary"', '"loss_amount": 800.5, "summary"')),
        bad(complaint("A16", loss_amount="1_000"), "loss_amount", "not a decimal amount"),
        bad(_json(complaint("A17")).replace('"summary"', '"loss_amount": Infinity, "summary"'), "-",
            "Infinity is not a number", rid=None),
    ], stored=[["complaints", "A10", "loss_amount", "100000000.00"], ["complaints", "A11", "loss_amount", "0.00"],
               ["complaints", "A15", "loss_amount", "800.50"]]))

    cases.append(jsonl_case("07_dates.jsonl", "dates in 1900 and 2999, impossible dates, other formats", [
        bad(complaint("D1", received_at="1900-01-01T00:00:00+08:00"), "received_at", "outside the plausible range"),
        bad(complaint("D2", received_at="2999-12-31T00:00:00+08:00"), "received_at", "outside the plausible range"),
        bad(complaint("D3", received_at="0001-01-01T00:00:00"), "received_at", "outside the plausible range"),
        bad(complaint("D4", received_at="2026-02-30T10:00:00+08:00"), "received_at", "not an ISO 8601 timestamp"),
        bad(complaint("D5", received_at="03/02/2026 10:00"), "received_at", "not an ISO 8601 timestamp"),
        bad(complaint("D6", received_at="2026-03-02T10:00:00+25:00"), "received_at", "not an ISO 8601 timestamp"),
        bad(complaint("D7", upheld=True, decided_at="2026-03-01T10:00:00+08:00"), "decided_at", "before the complaint"),
        bad(complaint("D8", received_at="2099-01-01T00:00:00+08:00"), "received_at", "in the future"),
        ok(complaint("D9", received_at="2026-03-02")),
        ok(complaint("D10", received_at="2026-03-02T10:00:00")),
        ok(complaint("D11", received_at="2026-03-02T02:00:00Z")),
        bad(event("D9e", "D9", "E1", "1900-01-01T10:00:00+08:00"), "occurred_at", "outside the plausible range"),
        bad(complaint("D13", received_at="2026-03-02T10:00:00+08:00", decided_at="2999-01-01T00:00:00+08:00",
                      upheld=False), "decided_at", "outside the plausible range"),
    ]))

    big = "账目错误，" * (MB // 15 + 1)  # > 1 MB of UTF-8
    cases.append(jsonl_case("08_big_summary.jsonl", "a 1 MB summary, a 1 MB note, texts at and over the limits", [
        bad(complaint("B1", summary=big), "summary", "at most 10000"),
        ok(complaint("B2", summary="账" * 10_000)),
        bad(complaint("B3", summary="x" * 10_001), "summary", "at most 10000"),
        bad(event("B2e", "B2", "E1", "2026-03-02T11:00:00+08:00", note="备注" * 10_000), "note", "at most 10000"),
        bad(staff("B5", name="王" * 101), "name", "at most 100"),
        ok(staff("B6", name="王" * 100)),
    ]))

    cases.append(jsonl_case("09_sql_injection.jsonl", "SQL injection: stored verbatim as text, refused as ids and codes", [
        ok({"type": "department", "id": "DX", "name": "财务'); DROP TABLE ledger;--"}),
        ok(staff("SX", name="Robert'); DROP TABLE staff;--", department_id="DX")),
        ok({"type": "customer", "id": "KX", "name": "' OR '1'='1"}),
        bad(complaint("C1' OR '1'='1"), "id", "not a valid id"),
        bad(complaint("SQ1", category="service'; DELETE FROM complaints;--"), "category", "is not one of"),
        ok(complaint("SQ2", summary="1; DROP TABLE complaints; --", customer_id="KX")),
        bad(complaint("SQ3", target_department_id="FIN' --"), "target_department_id", "not a valid id"),
        bad(event("SQ4e", 'SQ2" OR 1=1', "E1", "2026-03-02T11:00:00+08:00"), "complaint_id", "not a valid id"),
        bad(complaint("SQ5", problem_code="x'||(SELECT passwd FROM pg_shadow)||'"), "problem_code", "not a valid id"),
        bad(staff("SY", email="a@b.cn'; DROP TABLE staff;--"), "email", "not a valid e-mail address"),
        bad(complaint("SQ7", kind="external' UNION SELECT * FROM ledger --"), "kind", "is not one of"),
    ], stored=[["departments", "DX", "name", "财务'); DROP TABLE ledger;--"],
               ["staff", "SX", "name", "Robert'); DROP TABLE staff;--"],
               ["customers", "KX", "name", "' OR '1'='1"],
               ["complaints", "SQ2", "summary", "1; DROP TABLE complaints; --"]]))

    cases.append(jsonl_case("10_names_crlf_html.jsonl", "CR/LF, control characters and HTML in names; HTML in text", [
        bad(staff("N1", name="李四\r\nBcc: evil@example.com"), "name", "control character"),
        bad(staff("N2", name="<script>alert(1)</script>"), "name", "'<' or '>'"),
        bad({"type": "customer", "id": "N3", "name": "某某\n公司"}, "name", "control character"),
        bad({"type": "department", "id": "N4", "name": "财务部\u202e"}, "name", "control character"),
        bad(staff("N5", name="王\u2028五"), "name", "control character"),
        bad({"type": "team", "id": "N6", "name": "记账\t二组", "department_id": "FIN"}, "name", "control character"),
        ok(staff("N7", name='赵六 & 孙七 "老板"')),
        ok(complaint("H1", summary="<b>账目</b> <script>alert('x')</script>\r\n第二行 & more")),
        bad({"type": "customer", "id": "N9", "name": "客户\x85公司"}, "name", "control character"),
        bad(staff("N10", name="\u200f王"), "name", "control character"),
        bad({"type": "department", "id": "N11", "name": "财务", "name_en": "Finance\x1b[31m"}, "name_en",
            "control character"),
        bad(complaint("H2", summary="bell\x07"), "summary", "control character"),
        bad(event("H1e", "H1", "E1", "2026-03-02T11:00:00+08:00", note="a\x00b"), "note", "control character"),
        bad(staff("N14", name="张三", email="zs@example.com\r\nBcc: evil@example.com"), "email", "control character"),
    ], stored=[["staff", "N7", "name", '赵六 & 孙七 "老板"'],
               ["complaints", "H1", "summary", "<b>账目</b> <script>alert('x')</script>\r\n第二行 & more"]]))

    cases.append(jsonl_case("11_emails.jsonl", "invalid e-mail addresses of staff", [
        ok(staff("M1", email="li.si+ops@corp.example.cn")),
        ok(staff("M2", email="o'brien@example.com")),
        ok(staff("M3", email="x@xn--fiqs8s.cn")),
        bad(staff("M4", email="not-an-address"), "email", "not a valid e-mail address"),
        bad(staff("M5", email="a@b"), "email", "not a valid e-mail address"),
        bad(staff("M6", email="a@@b.cn"), "email", "not a valid e-mail address"),
        bad(staff("M7", email="a..b@x.cn"), "email", "not a valid e-mail address"),
        bad(staff("M8", email=".a@x.cn"), "email", "not a valid e-mail address"),
        bad(staff("M9", email="a.@x.cn"), "email", "not a valid e-mail address"),
        bad(staff("M10", email="a@x..cn"), "email", "not a valid e-mail address"),
        bad(staff("M11", email="a b@x.cn"), "email", "not a valid e-mail address"),
        bad(staff("M12", email="<a@x.cn>"), "email", "'<' or '>'"),
        bad(staff("M13", email="张三@例子.中国"), "email", "not a valid e-mail address"),
        bad(staff("M14", email="a@-x.cn"), "email", "not a valid e-mail address"),
        bad(staff("M15", email="a" * 65 + "@x.cn"), "email", "not a valid e-mail address"),
        bad(staff("M16", email="a@" + "b" * 60 + "." + ("c" * 63 + ".") * 3 + "cn"), "email", "at most 254"),
        bad(staff("M17", email="a@x.cn,b@y.cn"), "email", "not a valid e-mail address"),
        bad(staff("M18", email="a@x.c"), "email", "not a valid e-mail address"),
        bad(staff("M19", email="a@x.123"), "email", "not a valid e-mail address"),
        bad(staff("M20", email="a@x.cn\r\n"[:-2] + "\n.cn"), "email", "control character"),
    ]))

    cases.append(jsonl_case("12_same_id.jsonl", "the same id with different content in one file", [
        ok(complaint("SI1")),
        bad(complaint("SI1", loss_amount="5.00"), "id", "same id as line 1 with different content"),
        dup(complaint("SI1")),
        ok(staff("SS1", email="ss1@example.com")),
        bad(staff("SS1", email="other@example.com"), "id", "same id as line 4 with different content"),
        ok(event("SI1e1", "SI1", "E1", "2026-03-02T11:00:00+08:00")),
        bad(event("SI1e1", "SI1", "E1", "2026-03-02T11:05:00+08:00"), "id", "same id as line 6 with different content"),
    ], stored=[["complaints", "SI1", "loss_amount", "0.00"], ["staff", "SS1", "email", "ss1@example.com"]]))

    cases.append(jsonl_case("12b_same_id_later.jsonl", "the same ids again, in a later file: a complaint is corrected, "
                            "an event is refused (the event log is append-only)", [
        ok(event("SI1e2", "SI1", "E2", "2026-03-02T12:00:00+08:00")),
        bad(event("SI1e1", "SI1", "E1", "2026-03-02T11:05:00+08:00"), "id", "append-only"),
        {"text": complaint("SI1", loss_amount="5.00"), "expect": "corrected", "lines": 1},  # a correction, kept in revisions
    ], after=["12_same_id.jsonl"], stored=[["complaints", "SI1", "loss_amount", "5.00"]]))

    gbk = "gbk"
    cases.append(jsonl_case("13_gbk.jsonl", "a GBK file: every record with Chinese text is refused naming its field; "
                            "the ASCII-only records land", [
        ok(complaint("G1", summary="invoice sent to the wrong address")),
        bad(complaint("G2"), "summary", "GBK"),
        bad({"type": "customer", "id": "G3", "name": "杭州某某科技"}, "name", "GBK"),
        ok(event("G1e1", "G1", "E1", "2026-03-02T11:00:00+08:00")),
        bad(staff("G5", name="王五"), "name", "GBK"),
        bad('{"type": "complaint", "id": "G6", "摘要": "x"}', "摘要", "GBK", rid="G6"),
        bad('{"type": "complaint", "id": "G7", "summary": "账目错误}', "-", "GBK", rid=None),
    ], encoding=gbk))

    cases.append(csv_case("13_gbk.csv", "the same in CSV", CSV_HEADER, [
        ok(csv_row("GC1", summary="invoice sent to the wrong address")),
        bad(csv_row("GC2"), "summary", "GBK", rid="GC2"),
        ok(csv_row("GC3", summary="plain ASCII again")),
    ], encoding=gbk))

    body = "\n".join(json.dumps(r, ensure_ascii=False) for r in (complaint("U1"), complaint("U2"))) + "\n"
    cases.append(file_case("14_utf16.jsonl", "a UTF-16 file (Excel's 'Unicode text')", codecs.BOM_UTF16_LE + body.encode("utf-16-le"),
                           "UTF-16"))
    cases.append(file_case("15_semicolon.csv", "a CSV with ';' between columns", (CSV_HEADER.replace(",", ";") + "\n"
                           + csv_row("SC1").replace(",", ";") + "\n").encode(), "seems to use ';'"))
    cases.append(file_case("16_duplicate_header.csv", "a CSV whose header names a column twice",
                           (CSV_HEADER + ",summary\n" + csv_row("DH1") + ",again\n").encode(), "appears twice"))

    array = ("[\n" + json.dumps(complaint("JA1"), ensure_ascii=False) + ",\n"
             + json.dumps(complaint("JA2", kind="sideways"), ensure_ascii=False) + ",\n"
             + '  {"type": "complaint", "id": "JA3", "kind": \n')  # cut short: the rest cannot be read
    (HERE / "17_json_array.json").write_text(array, encoding="utf-8")
    cases.append({"file": "17_json_array.json", "what": "a JSON array export cut short", "after": [], "stored": [],
                  "lands": {"complaints": 1}, "updated": 0, "landed_ids": [["complaints", "JA1"]], "absent_ids": [],
                  "rejects": [{"line": 3, "id": "JA2", "field": "kind", "words": "is not one of"},
                              {"line": 4, "id": None, "field": "-", "words": "the rest of the file was not read"}]})
    return cases


def main() -> None:
    from tests.factories import org

    (HERE / "00_org.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in org()), encoding="utf-8")
    cases = build()
    (HERE / "cases.json").write_text(json.dumps(cases, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(cases)} files, {sum(len(c.get('rejects', [])) + ('file_error' in c) for c in cases)} bad inputs")


if __name__ == "__main__":
    main()

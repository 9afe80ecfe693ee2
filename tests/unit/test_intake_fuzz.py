"""Intake never crashes on what people and tools produce (issue 8 part 3), property-tested.

`normalize` on arbitrary JSON-like records either returns a clean row or raises RecordError naming a
field; the file reader on arbitrary bytes yields records or per-record errors (a whole-file error only
for what cannot be split into records), and every error prints. Pure: no database.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaint_ops import intake
from complaint_ops.errors import ImportFileError
from tests import figures
from tests.factories import complaint

TZ = ZoneInfo("Asia/Shanghai")
ALL_FIELDS = sorted({f for fields in intake.FIELDS.values() for f in fields} | {"type"})

# Any text, lone surrogates and control characters included (what a broken \u escape or a form gives).
anything = st.text(st.characters(codec=None, exclude_categories=()), max_size=30)
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**30, max_value=10**30),
                    st.decimals(allow_nan=True, allow_infinity=True), st.floats(), anything,
                    st.sampled_from(["2026-03-02T10:00:00+08:00", "1900-01-01", "2999-12-31", "NaN", "-0", "1e400",
                                     "external", "internal", "service", "phone", "CS1", "FIN", "K1", "true", "0.005"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(anything, inner, max_size=3)), max_leaves=8)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from(["complaint", "event", "staff", "customer", "department", "team"]),
       changes=st.dictionaries(st.one_of(st.sampled_from(ALL_FIELDS), anything), values, max_size=4))
def test_normalize_returns_a_clean_row_or_names_a_field(base, changes):
    record = {"complaint": complaint("C1"),
              "event": {"type": "event", "id": "e1", "complaint_id": "C1", "event_type": "stage_done",
                        "stage": "E1", "occurred_at": "2026-03-02T11:00:00+08:00"},
              "staff": {"type": "staff", "id": "S1", "name": "张三", "department_id": "FIN", "role": "staff"},
              "customer": {"type": "customer", "id": "K1", "name": "客户", "phone": "13812345678"},
              "department": {"type": "department", "id": "FIN", "name": "财务部"},
              "team": {"type": "team", "id": "T1", "name": "一组", "department_id": "FIN"}}[base]
    record.update(changes)
    try:
        table, row = intake.normalize(record, TZ)
    except intake.RecordError as exc:
        figures.count("bad inputs tried")
        rtype = record.get("type")
        known = set(intake.FIELDS[rtype]) if isinstance(rtype, str) and rtype in intake.FIELDS else set()
        assert exc.field in {"-", "type"} | known | {intake.safe_text(str(k))[:60] for k in record}, exc
        intake.safe_text(exc.reason).encode("utf-8")
        return
    # What lands is clean: ids match the id pattern, names carry no control characters or markup,
    # amounts are exact and in range, timestamps are aware and plausible.
    for key, value in row.items():
        if isinstance(value, str):
            assert intake.encoding_problem(value) is None
            value.encode("utf-8")
        if key in ("name", "name_en", "email", "phone"):
            assert value is None or (not intake._CONTROL.search(value) and "<" not in value)
        if isinstance(value, Decimal):
            assert Decimal("0") <= value <= intake.MAX_AMOUNT and value == value.quantize(Decimal("0.01"))
        if isinstance(value, dt.datetime):
            assert value.tzinfo is not None and 2000 <= value.year <= 2100
    assert table == intake.TABLES[record["type"]]


lines = st.one_of(
    st.binary(max_size=60),
    st.builds(lambda r: json.dumps(r, ensure_ascii=False, default=str).encode("utf-8", "surrogatepass"),
              st.dictionaries(st.sampled_from(ALL_FIELDS), values, max_size=5)),
    st.builds(lambda r: json.dumps(r, ensure_ascii=False).encode("gbk", "replace"),
              st.just(complaint("G1", summary="账目错误"))),
    st.sampled_from([b"", b"{", b"[", b'{"type": "complaint"', b"\xef\xbb\xbf", b"\x00\x00", b'"', b",,,", b"\r"]),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(body=st.lists(lines, max_size=6), suffix=st.sampled_from([".jsonl", ".csv", ".json"]),
       header=st.sampled_from([b"", b"type,id,kind,summary\n", b"id;kind\n", b"type,type\n"]))
def test_reading_any_bytes_gives_records_or_named_errors_never_a_crash(tmp_path_factory, body, suffix, header):
    path = Path(tmp_path_factory.mktemp("fuzz")) / f"input{suffix}"
    path.write_bytes((header if suffix == ".csv" else b"") + b"\n".join(body))
    try:
        entries = list(intake.read_records(path))
    except ImportFileError as exc:
        figures.count("bad inputs tried")
        assert str(path) in str(exc) or "CSV file has no `type` column" in str(exc)
        str(exc).encode("utf-8")
        return
    for line, item in entries:
        assert 1 <= line <= max(1, path.read_bytes().count(b"\n") + 1)
        if isinstance(item, intake.RecordError):
            figures.count("bad inputs tried")
            intake.safe_text(item.reason).encode("utf-8")

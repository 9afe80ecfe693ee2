"""The bad-input corpus (tests/bad_inputs/, issue 8 part 3) on SQLite and PostgreSQL.

For every file: each bad record is rejected with an error naming its line, its id (when it has a
readable one) and the field; exactly the good records land (row counts per table, and their values
where a case names them); a rejected record leaves no row; the same import again changes nothing.
A file that cannot be split into records is refused whole before anything is written. The CLI prints
one line per reject and never a traceback.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import text

from complaint_ops import db, intake
from complaint_ops.cli import main
from complaint_ops.errors import ImportFileError
from tests import figures
from tests.factories import NOW

CORPUS = Path(__file__).resolve().parents[1] / "bad_inputs"
CASES = json.loads((CORPUS / "cases.json").read_text(encoding="utf-8"))
BY_FILE = {c["file"]: c for c in CASES}
TABLES = ("departments", "teams", "staff", "customers", "complaints", "events", "complaint_revisions")
KEY = {"events": "event_key"}


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar() for t in TABLES}


def stored(engine, table: str, rid: str, column: str):
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT {column} FROM {table} WHERE {KEY.get(table, 'id')} = :i"), {"i": rid}).scalar()


def load_org(engine) -> None:
    report = intake.import_file(engine, CORPUS / "00_org.jsonl", now=NOW, write_rejects=False)
    assert report.ok, report.rejected


def copy(name: str, tmp_path: Path) -> Path:
    """The corpus file in a scratch folder (the rejects file is written next to it)."""
    target = tmp_path / name
    target.write_bytes((CORPUS / name).read_bytes())
    return target


def test_the_corpus_is_what_build_py_writes(tmp_path, monkeypatch):
    """cases.json and the files come from build.py: a hand edit of either would make them disagree."""
    from tests.bad_inputs import build

    monkeypatch.setattr(build, "HERE", tmp_path)
    rebuilt = build.build()
    assert rebuilt == CASES
    for case in CASES:
        assert (tmp_path / case["file"]).read_bytes() == (CORPUS / case["file"]).read_bytes(), case["file"]


@pytest.mark.parametrize("case", [c for c in CASES if "file_error" not in c], ids=lambda c: c["file"])
def test_bad_records_are_named_good_ones_land_nothing_half_written(engine, tmp_path, case):
    load_org(engine)
    for earlier in case["after"]:
        intake.import_file(engine, copy(earlier, tmp_path), now=NOW, write_rejects=False)
    before = counts(engine)
    path = copy(case["file"], tmp_path)

    report = intake.import_file(engine, path, now=NOW)
    figures.count("bad inputs tried", len(case["rejects"]))

    # Every bad record, and only those, with its line, id and field; the reason says what is wrong.
    got = [(r.line, r.record_id, r.field) for r in report.rejected]
    want = [(r["line"], r["id"], r["field"]) for r in case["rejects"]]
    assert got == want, "\n".join(map(str, report.rejected))
    for reject, expected in zip(report.rejected, case["rejects"]):
        assert expected["words"] in reject.reason, (str(reject), expected["words"])
        shown = str(reject)
        assert shown.startswith(f"line {reject.line}: ") and (reject.record_id or "") in shown and reject.field in shown
        assert len(shown) < 600, "an error message must stay readable, whatever the input"

    # Exactly the good records landed, each whole; the rejected ones left no row.
    after = counts(engine)
    landed = {t: after[t] - before[t] for t in TABLES if after[t] != before[t]}
    revisions = landed.pop("complaint_revisions", 0)
    assert landed == case["lands"]
    assert report.accepted == sum(case["lands"].values()) and report.updated == case["updated"] == revisions
    for table, rid in case["landed_ids"]:
        assert stored(engine, table, rid, KEY.get(table, "id")) == rid, f"{rid} did not land"
    for table, rid in case["absent_ids"]:
        assert stored(engine, table, rid, KEY.get(table, "id")) is None, f"rejected {rid} was written"
    for table, rid, column, value in case["stored"]:
        got_value = stored(engine, table, rid, column)
        assert (str(db.money(got_value)) if column.endswith("amount") else got_value) == value

    # The rejects file lists the same records, and can be read back whatever the input held.
    rejects_file = path.with_name(path.name + ".rejects.jsonl")
    if case["rejects"]:
        lines = [json.loads(line) for line in rejects_file.read_text(encoding="utf-8").splitlines()]
        assert [(x["line"], x["field"]) for x in lines] == [(r.line, r.field) for r in report.rejected]
    else:
        assert not rejects_file.exists()

    # Importing the same file again changes nothing and says the same.
    again = intake.import_file(engine, path, now=NOW)
    assert counts(engine) == after
    assert (again.accepted, again.updated) == (0, 0)
    assert [(r.line, r.field) for r in again.rejected] == [(r.line, r.field) for r in report.rejected]


@pytest.mark.parametrize("case", [c for c in CASES if "file_error" in c], ids=lambda c: c["file"])
def test_a_file_that_cannot_be_split_into_records_is_refused_whole(engine, tmp_path, case):
    load_org(engine)
    before = counts(engine)
    with pytest.raises(ImportFileError, match=re.escape(case["file_error"])) as err:
        intake.import_file(engine, copy(case["file"], tmp_path), now=NOW)
    figures.count("bad inputs tried")
    assert case["file"] in str(err.value)
    assert counts(engine) == before


def test_cli_imports_the_whole_corpus_with_one_line_per_reject_and_no_traceback(sqlite_engine, tmp_path, capsys):
    """`complaint-ops import` over every file at once: exit 1, each reject on stderr as
    `FILE: line N: TYPE ID: FIELD: reason`, refused files named, the others still imported."""
    url = sqlite_engine.url.render_as_string(hide_password=False)
    assert main(["--db", url, "import", str(copy("00_org.jsonl", tmp_path))]) == 0
    files = [copy(c["file"], tmp_path) for c in CASES]
    capsys.readouterr()
    assert main(["--db", url, "import", *map(str, files)]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "Traceback" not in out
    for case, path in zip(CASES, files):
        if "file_error" in case:
            assert f"{path}: " in err and case["file_error"] in err
            continue
        for r in case["rejects"]:
            assert re.search(rf"^{re.escape(str(path))}: line {r['line']}: ", err, re.M), (case["file"], r)
    assert counts(sqlite_engine)["complaints"] == sum(c.get("lands", {}).get("complaints", 0) for c in CASES)

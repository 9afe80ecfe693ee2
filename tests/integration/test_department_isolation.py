"""A department head's digest never shows another department's complaint (D1, issue 8 part 4),
property-tested over demo data on SQLite and PostgreSQL.

Hypothesis picks a department head (a manager who is not leadership) and a business date; the test
renders that head's D1 exactly as it would be mailed (`digests.preview`) and checks it against what
the tables say belongs to the head's departments (POLICY.md D1): complaints against them, orders their
staff owe (the resolved owner, else the complaint's department), penalties their staff or teams pay.
No complaint id outside that set may appear in the subject, the text or the HTML; no customer of
another department's complaints, no phone number; and every new complaint against them is there.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import bindparam, text

from complaint_ops import business_calendar, daily, db, demo, digests
from tests import figures
from tests.factories import NOW

END = dt.date(2026, 6, 30)
FIRST_RUN = dt.date(2026, 6, 8)
DAYS = [END - dt.timedelta(days=n) for n in range(14)]
COMPLAINT_ID = re.compile(r"CP\d{6}(?:-(?:S2|F5))*")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def company(request, tmp_path_factory):
    """Two months of a demo company, the last three weeks run: one database per kind for the module."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('isolation') / 'complaints.db'}"
    else:
        url = request.getfixturevalue("pg_database")()
    engine = db.make_engine(url)
    db.upgrade(engine)
    with engine.begin() as conn:
        business_calendar.fill(conn, dt.date(2025, 1, 1), dt.date(2026, 12, 31))
    assert not demo.load(engine, demo.generate(months=2, seed=23, end_date=END), now=NOW, source="demo").rejected
    daily.run_days(engine, FIRST_RUN, END, now=NOW, mail="archive")
    with engine.connect() as conn:
        org = digests.Org.load(conn)
    heads = sorted(s["id"] for s in org.managers() if s["role"] not in digests.LEADERSHIP_ROLES)
    assert len(heads) >= 5
    yield engine, org, heads
    engine.dispose()


def owned(conn, scope: list[str]) -> set[str]:
    """Complaint ids that belong to the departments `scope` (D1), straight from the tables."""
    params = {"scope": scope}

    def ids(sql: str) -> set[str]:
        return {r[0] for r in conn.execute(text(sql).bindparams(bindparam("scope", expanding=True)), params)}

    return (ids("SELECT id FROM complaints WHERE target_department_id IN :scope")
            | ids("SELECT o.complaint_id FROM orders o JOIN order_owners w ON w.order_key = o.order_key "
                  "JOIN complaints c ON c.id = o.complaint_id LEFT JOIN staff s ON s.id = w.owner_id "
                  "WHERE COALESCE(s.department_id, c.target_department_id) IN :scope")
            | ids("SELECT l.complaint_id FROM ledger l LEFT JOIN staff s ON s.id = l.staff_id "
                  "LEFT JOIN teams t ON t.id = l.team_id WHERE COALESCE(s.department_id, t.department_id) IN :scope"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_department_heads_digest_shows_only_their_departments(company, data):
    engine, org, heads = company
    head = data.draw(st.sampled_from(heads), label="head")
    day = data.draw(st.sampled_from(DAYS), label="day")
    figures.count("scenarios generated")
    scope = sorted(org.scope_for(org.staff[head]).departments)
    with engine.connect() as conn:
        [(_period, view, rendered)] = digests.preview(conn, "D1", head, day)
        allowed = owned(conn, scope)
        everything = {r[0] for r in conn.execute(text("SELECT id FROM complaints"))}
        customers = conn.execute(text("SELECT c.id AS complaint_id, k.name, k.phone FROM complaints c "
                                      "JOIN customers k ON k.id = c.customer_id")).all()
        new_ids = {r[0] for r in conn.execute(
            text("SELECT id FROM complaints WHERE target_department_id IN :scope "
                 "AND received_date BETWEEN :first AND :day").bindparams(bindparam("scope", expanding=True)),
            {"scope": scope, "first": view["period_from"], "day": day})}
    assert view["departments"] and {d["id"] for d in view["departments"]} == set(scope)
    assert not view["scope_whole"] and view["approvals"] is None

    # What the digest was built from: every row is the head's departments' (checked in the tables).
    shown = {c["id"] for c in view["new_complaints"]}
    assert shown == new_ids, "exactly the new complaints against their departments"
    for section in ("new_complaints", "overdue", "penalties", "due_soon"):
        for row in view[section]:
            assert (row.get("complaint_id") or row["id"]) in allowed, (section, row)

    # What is mailed: no other department's complaint id, customer or phone number anywhere in it.
    mailed = "\n".join((rendered.subject, rendered.text, rendered.html))
    foreign = {m for m in COMPLAINT_ID.findall(mailed)} - allowed
    assert not foreign, f"{head} ({scope}) sees {sorted(foreign)} on {day}"
    assert {m for m in COMPLAINT_ID.findall(mailed)} <= everything
    ours = {name for cid, name, _ in customers if cid in allowed}
    for cid, name, phone in customers:
        if cid not in allowed and name not in ours and not any(name in n for n in ours):
            assert name not in mailed, f"{head} sees customer {name} of {cid}"
        if phone:
            assert re.sub(r"\D", "", phone) not in re.sub(r"[ \-]", "", mailed)

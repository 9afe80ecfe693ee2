"""Rendering (POLICY.md §8; the digests issue, items 1-2 and 4): every kind in both languages from view
models built by the pure view functions; escaping, masking, StrictUndefined, CR/LF refusal, MIME."""

import datetime as dt
import re
import struct
import zlib
from decimal import Decimal
from email import message_from_bytes, policy

import pytest
from jinja2 import UndefinedError

from complaint_ops import digests, mail

UTC = dt.timezone.utc
D = Decimal
DAY = dt.date(2026, 3, 3)
SCRIPT = "<script>alert('x')</script> 账目错误 & 更多"


def t(hour, day=3, month=3):
    return dt.datetime(2026, month, day, hour - 8, 0, tzinfo=UTC)  # hour in Beijing time


def org(fin_name="财务部", head_name="孙主管"):
    return digests.Org(
        [{"id": "FIN", "name": fin_name, "name_en": "Finance", "manager_id": "HEAD_FIN"},
         {"id": "CS", "name": "客服部", "name_en": None, "manager_id": "HEAD_CS"},
         {"id": "GMO", "name": "总经理办公室", "name_en": None, "manager_id": "GM"}],
        [{"id": "GM", "name": "赵总", "email": "gm@example.com", "language": "zh", "role": "general_manager",
          "department_id": "GMO", "team_id": None, "active": True},
         {"id": "CM", "name": "王经理", "email": "cm@example.com", "language": "zh", "role": "company_manager",
          "department_id": "GMO", "team_id": None, "active": True},
         {"id": "HEAD_FIN", "name": head_name, "email": "fin@example.com", "language": "en", "role": "department_head",
          "department_id": "FIN", "team_id": None, "active": True},
         {"id": "HEAD_CS", "name": "李主管", "email": "cs@example.com", "language": "zh", "role": "department_head",
          "department_id": "CS", "team_id": None, "active": True},
         {"id": "CSA", "name": "郑助理", "email": None, "language": "zh", "role": "cs_assistant",
          "department_id": "CS", "team_id": None, "active": True},
         {"id": "ACC1", "name": "吴会计", "email": "acc1@example.com", "language": "zh", "role": "account_manager",
          "department_id": "FIN", "team_id": "FIN_T1", "active": True}],
        [{"id": "FIN_T1", "name": "记账一组", "department_id": "FIN"}])


def day_data():
    complaint = {"id": "C1", "kind": "external", "category": "service", "channel": "phone", "summary": SCRIPT,
                 "problem_code": None, "target_department_id": "FIN", "target_staff_id": None, "target_team_id": None,
                 "filer_id": "HEAD_CS", "handler_id": None, "customer_id": "K1", "customer_name": "上海某某贸易有限公司",
                 "customer_phone": "13812345678", "received_at": t(10), "received_date": DAY, "major": True,
                 "duplicate_of": None, "second_round_of": None, "origin": "intake", "loss_amount": D("0")}
    other = dict(complaint, id="C2", target_department_id="CS", summary="客服态度差", major=False,
                 customer_phone="13900001111")
    overdue = {"order_key": "C3:E2", "complaint_id": "C3", "rule": "E2", "kind": "stage", "sequence": 0,
               "due_at": t(11, 2), "due_date": dt.date(2026, 3, 2), "done_at": None, "stop_at": None,
               "target_department_id": "FIN", "customer_id": "K1", "customer_name": "上海某某", "customer_phone": "13812345678",
               "owner_id": "HEAD_FIN", "days": 2, "fine_total": D("100.00"), "fine_today": D("50.00"), "open": True}
    ledger = [{"id": 1, "rule": "O1", "kind": "fine", "entry_type": "charge", "complaint_id": "C3", "order_key": "C3:E2",
               "staff_id": "HEAD_FIN", "team_id": None, "fine_amount": D("50.00"), "points": 0, "multiplier": 1,
               "proposal_key": None, "party_department_id": "FIN"},
              {"id": 2, "rule": "P1", "kind": "fine", "entry_type": "charge", "complaint_id": "C9", "order_key": None,
               "staff_id": None, "team_id": "FIN_T1", "fine_amount": D("1100.00"), "points": -5, "multiplier": 2,
               "proposal_key": None, "party_department_id": "FIN"},
              {"id": 3, "rule": "P4", "kind": "loss_recovery", "entry_type": "charge", "complaint_id": "C9",
               "order_key": None, "staff_id": "ACC1", "team_id": None, "fine_amount": D("300.00"), "points": 0,
               "multiplier": 1, "proposal_key": None, "party_department_id": "FIN"}]
    due = [{"order_key": "C5:revisit:1", "complaint_id": "C5", "rule": "F2", "kind": "revisit", "sequence": 1,
            "started_at": t(10, 2), "due_at": t(10, 5), "due_date": dt.date(2026, 3, 5), "target_department_id": "CS",
            "customer_id": "K2", "customer_name": "杭州某某科技", "customer_phone": "13900001111", "owner_id": "CSA",
            "wd_left": 2}]
    return {"day": DAY, "prev_day": dt.date(2026, 3, 2), "end": t(24), "horizon": dt.date(2026, 3, 6),
            "lookahead_wd": 3, "new": [complaint, other], "overdue": [overdue], "ledger": ledger, "due": due}


APPROVALS = [{"id": "0123456789abcdef", "complaint_id": "C9", "rule": "P1", "kind": "fine", "party": "记账一组",
              "fine": D("1200.00"), "points": -20, "multiplier": 1, "reason": "severe", "proposed_on": DAY, "waiting_wd": 0}]


def period_data():
    first, last = dt.date(2026, 2, 1), dt.date(2026, 2, 28)
    complaints = [
        {"id": f"C{i}", "kind": kind, "category": cat, "channel": ch, "summary": f"问题{i} <b>", "problem_code": code,
         "target_department_id": dept, "customer_id": cust, "received_at": t(10, day, 2), "received_date": dt.date(2026, 2, day),
         "major": False, "duplicate_of": None, "second_round_of": None, "origin": "intake", "severity_class": sev}
        for i, (kind, cat, ch, code, dept, cust, day, sev) in enumerate([
            ("external", "service", "phone", "P-1", "FIN", "K1", 2, "medium"),
            ("external", "service", "email", "P-1", "FIN", "K2", 3, "light"),
            ("internal", "contract", "written", None, "CS", None, 3, "not_upheld"),
            ("external", "transport", "visit", None, "CS", "K3", 26, "severe")])]
    orders = [
        {"order_key": "C0:E1", "complaint_id": "C0", "rule": "E1", "kind": "stage", "sequence": 0, "owner_id": "HEAD_CS",
         "target_department_id": "FIN", "due_at": t(10, 3, 2), "due_date": dt.date(2026, 2, 3), "done_at": t(9, 3, 2),
         "status": "on_time", "event": None, "customer_id": "K1", "customer_name": "上海某某", "customer_phone": "13812345678"},
        {"order_key": "C0:E2", "complaint_id": "C0", "rule": "E2", "kind": "stage", "sequence": 0, "owner_id": "HEAD_FIN",
         "target_department_id": "FIN", "due_at": t(10, 4, 2), "due_date": dt.date(2026, 2, 4), "done_at": t(12, 4, 2),
         "status": "late", "event": None, "customer_id": "K1", "customer_name": "上海某某", "customer_phone": "13812345678"},
        {"order_key": "C7:revisit:1", "complaint_id": "C7", "rule": "F2", "kind": "revisit", "sequence": 1, "owner_id": "CSA",
         "target_department_id": "FIN", "due_at": t(10, 10, 2), "due_date": dt.date(2026, 2, 10), "done_at": t(9, 10, 2),
         "status": "on_time", "customer_id": "K1", "customer_name": "上海某某", "customer_phone": "13812345678",
         "event": {"occurred_at": t(9, 10, 2), "method": "on_site", "signature": True, "outcome": "unsatisfied"}},
        {"order_key": "C7:S1", "complaint_id": "C7", "rule": "S1", "kind": "second_round", "sequence": 0, "owner_id": "CSA",
         "target_department_id": "FIN", "due_at": t(10, 12, 2), "due_date": dt.date(2026, 2, 12), "done_at": t(9, 12, 2),
         "status": "on_time", "customer_id": None, "customer_name": None, "customer_phone": None,
         "event": {"occurred_at": t(9, 12, 2), "method": None, "signature": None, "outcome": "improved"}},
    ]
    ledger = [{"business_date": dt.date(2026, 2, 4), "party_department_id": "FIN", "rule": "O1", "kind": "fine",
               "fine_amount": D("50.00"), "points": 0, "entries": 1},
              {"business_date": dt.date(2026, 2, 5), "party_department_id": "FIN", "rule": "P1", "kind": "fine",
               "fine_amount": D("100.00"), "points": -5, "entries": 1},
              {"business_date": dt.date(2026, 2, 5), "party_department_id": "CS", "rule": "P1", "kind": "fine",
               "fine_amount": D("50.00"), "points": -2, "entries": 1}]
    return {"first": first, "last": last, "end": t(24, 28, 2), "complaints": complaints, "orders": orders, "ledger": ledger}


def alert():
    c = day_data()["new"][0]
    return {"alert_key": "major:C1", "kind": "major", "complaint_id": "C1", "business_date": DAY, "raised_at": t(10),
            "details": {"summary": SCRIPT}, "complaint": {**c, "customer_lost": False},
            "deadlines": [{"rule": "E1", "owner_id": "CS1", "due_at": t(10, 4), "done_at": None}], "members": []}


def views(o=None):
    o = o or org()
    gm, head = o.staff["GM"], o.staff["HEAD_FIN"]
    fin = o.scope_for(head)
    return {
        ("D1", "gm"): digests.daily_view(day_data(), o, digests.WHOLE, o.recipient(gm), APPROVALS),
        ("D1", "head"): digests.daily_view(day_data(), o, fin, o.recipient(head)),
        ("D2", "gm"): digests.monthly_view(period_data(), o, digests.WHOLE, o.recipient(gm)),
        ("D2", "head"): digests.monthly_view(period_data(), o, fin, o.recipient(head)),
        ("D3", "gm"): digests.revisit_view(period_data(), o, digests.WHOLE, o.recipient(gm)),
        ("D4", "gm"): digests.half_year_view(period_data(), o, digests.WHOLE, o.recipient(gm)),
        ("D4", "head"): digests.half_year_view(period_data(), o, fin, o.recipient(head)),
        ("A1", "gm"): digests.alert_view(alert(), o, o.recipient(gm)),
    }


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("key", list(views()), ids=lambda k: "-".join(k))
def test_every_kind_renders_in_both_languages(key, lang):
    view = views()[key]
    r = mail.render(key[0], view, lang)
    assert r.subject and "\n" not in r.subject and len(r.subject) < 200
    assert r.text.endswith("\n") and "\n\n\n" not in r.text
    assert not re.search(r"<(br|td|tr|div|p|table)\b", r.text), "plain text part must not carry markup"
    assert "<html" in r.html
    if key[0] != "A1":  # numbers right-aligned, the CSS inlined into style attributes
        assert "text-align:right" in r.html.replace(" ", "")
    assert "<a " not in r.html and "href=" not in r.html  # no links the reader may not open
    assert "13812345678" not in r.text + r.html + r.subject
    if lang == "en":
        assert not re.search(r"[一-鿿]{4,}", r.subject.replace(view.get("recipient", {}).get("name", ""), "")
                             .replace("财务部", "").replace("客服部", "").replace("全公司", "")), r.subject
    for img in r.images:
        assert f"cid:{img.cid}" in r.html


def test_d1_subject_carries_date_department_overdue_and_fines():
    v = views()
    head = mail.render("D1", v[("D1", "head")], "en").subject
    assert head == "[Complaints daily] 2026-03-03 Finance: 1 new, 1 overdue, fines CNY 1,150.00"
    gm = mail.render("D1", v[("D1", "gm")], "zh").subject
    assert gm == "【投诉日报】2026-03-03 全公司：新投诉2件，逾期1单，罚款¥1,150.00，待您审批1项"


def test_d1_scoping_department_head_sees_their_department_only():
    head = views()[("D1", "head")]
    assert [c["id"] for c in head["new_complaints"]] == ["C1"]
    assert head["due_soon"] == []  # the revisit is owned by customer service
    assert head["approvals"] is None
    gm = views()[("D1", "gm")]
    assert [c["id"] for c in gm["new_complaints"]] == ["C1", "C2"] and len(gm["approvals"]) == 1
    assert gm["due_soon"][0]["owner"] == "郑助理"


def test_d1_totals_exclude_loss_recovery_and_show_it_apart():
    v = views()[("D1", "head")]
    assert v["totals"]["fine"] == D("1150.00") and v["totals"]["loss_recovery"] == D("300.00")
    assert v["totals"]["points"] == -5
    html = mail.render("D1", v, "zh").html
    assert re.search(r"1,150\.00", html) and "300.00" in html


def test_complaint_text_is_escaped_in_html_and_plain_in_text():
    r = mail.render("D1", views()[("D1", "gm")], "zh")
    assert "<script>" not in r.html and "&lt;script&gt;" in r.html and "&amp; 更多" in r.html
    assert SCRIPT in r.text  # text/plain is not interpreted: the words as written
    a1 = mail.render("A1", views()[("A1", "gm")], "en")
    assert "<script>" not in a1.html and "&lt;script&gt;" in a1.html


def test_customer_phones_are_masked():
    assert mail.mask_phone("13812345678") == "138****5678"
    assert mail.mask_phone("+86 138-1234-5678") == "138****5678"
    assert mail.mask_phone("021-5555666") == "021****66" and mail.mask_phone("5555666") == "****66"
    assert mail.mask_phone("12345") == "****" and mail.mask_phone(None) == ""
    r = mail.render("D1", views()[("D1", "gm")], "zh")
    assert "138****5678" in r.html and "138****5678" in r.text


def test_strict_undefined_fails_loudly_on_a_missing_field():
    view = dict(views()[("D1", "gm")])
    del view["kpi"]
    with pytest.raises(UndefinedError):
        mail.render("D1", view, "zh")


def test_a_line_break_in_a_department_name_is_refused_in_the_subject():
    v = views(org(fin_name="财务部\r\nBcc: evil@example.com"))[("D1", "head")]
    with pytest.raises(mail.HeaderInjection, match="line break"):
        mail.render("D1", v, "zh")


def test_number_formats():
    assert mail.fmt_money(D("1234.5")) == "1,234.50" and mail.fmt_money(None) == "—"
    assert mail.fmt_points(-1433) == "-1,433" and mail.fmt_points(0) == "0" and mail.fmt_points(3) == "+3"
    assert mail.fmt_pct(0.8225) == "82.2%" and mail.fmt_pct(None) == "—"


def test_text_tables_align_chinese_and_right_align_numbers():
    out = mail.text_table(["部门", "件数"], [["财务部", "3"], ["HR", "12"]], "lr")
    lines = out.splitlines()
    assert [mail.display_width(line) for line in lines[2:]] == [mail.display_width(lines[2])] * 2
    assert lines[2].endswith(" 3") and lines[3].endswith("12")


def test_monthly_view_numbers():
    v = views()[("D2", "gm")]
    assert v["totals"]["received"] == 4 and v["totals"]["upheld"] == 3 and v["totals"]["severe"] == 1
    assert {r["key"]: r["count"] for r in v["by_category"]} == {"service": 2, "contract": 1, "transport": 1}
    assert [(s["rule"], s["due"], s["on_time"], s["late"]) for s in v["stages"]] == [("E1", 1, 1, 0), ("E2", 1, 0, 1)]
    assert v["stages_total"]["rate"] == 0.5
    assert v["revisits"]["due"] == 1 and v["revisits"]["unsatisfied"] == 1
    assert v["fines"]["fine"] == D("200.00") and v["fines"]["points"] == -7
    assert v["top_problems"][0]["problem_code"] == "P-1" and v["top_problems"][0]["customers"] == 2
    head = views()[("D2", "head")]
    assert head["totals"]["received"] == 2 and head["fines"]["fine"] == D("150.00")


def test_png_charts_are_valid_images():
    png, w, h = mail.column_chart({"categories": [str(d) for d in range(1, 32)], "format": "int",
                                   "series": [{"values": [d % 4 for d in range(31)], "color": "#1f4e79"}]})
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (2 * w, 2 * h)
    idat = png[png.index(b"IDAT") + 4: png.index(b"IEND") - 8]
    assert len(zlib.decompress(idat)) == height * (1 + 3 * width)
    assert mail.column_chart({"categories": ["I1"], "format": "pct", "series": [{"values": [0.5], "color": "#000000"}]})[0] \
        == mail.column_chart({"categories": ["I1"], "format": "pct", "series": [{"values": [0.5], "color": "#000000"}]})[0]


def _row(**kw):
    row = {"subject": "【投诉日报】2026-03-03 财务部", "message_id": mail.message_id("HEAD_FIN", "D1", "2026-03-03", "x.example"),
           "recipient_name": "孙主管", "recipient_email": "fin@example.com", "language": "zh", "kind": "D1",
           "period": "2026-03-03", "body_text": "正文\n", "body_html": "<html><body><img src=\"cid:c1@x\"></body></html>"}
    row.update(kw)
    return row


def test_mime_structure_alternative_text_then_related_html_with_images():
    sender = mail.Sender("ops@example.com", "投诉管理系统")
    msg = mail.build_message(_row(), [mail.InlineImage("c1@x", "c.png", b"\x89PNG...")], sender,
                             dt.datetime(2026, 3, 3, 12, tzinfo=UTC))
    raw = msg.as_string()
    raw.encode("ascii")  # 7-bit clean: RFC 2047 headers, base64/quoted-printable bodies
    parsed = message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    plain, related = parsed.get_payload()
    assert plain.get_content_type() == "text/plain" and plain.get_content().replace("\r\n", "\n") == "正文\n"
    assert related.get_content_type() == "multipart/related"
    html, image = related.get_payload()
    assert html.get_content_type() == "text/html" and image["Content-ID"] == "<c1@x>"
    assert parsed["Subject"] == "【投诉日报】2026-03-03 财务部" and parsed["To"] == "孙主管 <fin@example.com>"
    assert parsed["Auto-Submitted"] == "auto-generated"


def test_message_id_is_deterministic_per_recipient_kind_period():
    a = mail.message_id("HEAD_FIN", "D1", "2026-03-03", "x.example")
    assert a == mail.message_id("HEAD_FIN", "D1", "2026-03-03", "x.example")
    assert a != mail.message_id("HEAD_FIN", "D1", "2026-03-04", "x.example")
    assert a != mail.message_id("HEAD_CS", "D1", "2026-03-03", "x.example")
    assert re.fullmatch(r"<d1\.2026-03-03\.[0-9a-f]{24}@x\.example>", a)


@pytest.mark.parametrize("field,value", [
    ("subject", "日报\r\nBcc: evil@example.com"), ("subject", "日报\nX: y"), ("recipient_name", "孙\r\nBcc: e@x.cn"),
    ("recipient_name", "孙\u2028主管"), ("recipient_email", "fin@example.com\r\nBcc: e@x.cn"),
])
def test_cr_lf_in_any_header_value_is_refused(field, value):
    with pytest.raises(mail.HeaderInjection):
        mail.build_message(_row(**{field: value}), [], mail.Sender("ops@example.com"), dt.datetime.now(UTC))


def test_a_bad_address_is_refused():
    with pytest.raises(mail.InvalidAddress):
        mail.build_message(_row(recipient_email="not an address"), [], mail.Sender("ops@example.com"), dt.datetime.now(UTC))
    with pytest.raises(mail.HeaderInjection):
        mail.Sender("ops@example.com", "name\r\nBcc: x@y.cn")


def test_long_pages_keep_the_embedded_stylesheet_to_stay_below_gmails_clipping(monkeypatch):
    view = views()[("D1", "gm")]
    small = mail.render("D1", view, "zh").html
    assert "<style>" not in small and 'style="' in small  # inlined
    monkeypatch.setattr(mail, "INLINE_CSS_LIMIT", 1000)
    big = mail.render("D1", view, "zh").html
    assert "<style>" in big and 'class="num"' in big and len(big) < len(small)


def test_d1_lists_are_capped_but_counts_and_totals_cover_everything():
    """A day with more overdue orders than a digest lists: the heading, the KPI line and the totals
    count all of them; the table shows DIGEST_ROWS and says how many more there are."""
    data = day_data()
    base = data["overdue"][0]
    n = digests.DIGEST_ROWS + 37
    data["overdue"] = [dict(base, order_key=f"C{i}:E2", complaint_id=f"C{i}") for i in range(n)]
    o = org()
    v = digests.daily_view(data, o, o.scope_for(o.staff["HEAD_FIN"]), o.recipient(o.staff["HEAD_FIN"]))
    assert len(v["overdue"]) == digests.DIGEST_ROWS and v["more"]["overdue"] == 37
    assert v["kpi"]["overdue"] == n and v["totals"]["overdue_fine_total"] == D("100.00") * n
    for lang, more in (("en", "and 37 more not listed"), ("zh", "另有 37 条未列出")):
        r = mail.render("D1", v, lang)
        assert more in r.text and more in r.html
        assert f"C{digests.DIGEST_ROWS - 1}:E2" in r.text and f"C{digests.DIGEST_ROWS}:E2" not in r.text
        assert f"({n})" in r.text and f"({n})" in r.html
    small = digests.daily_view(day_data(), o, digests.WHOLE, o.recipient(o.staff["GM"]))
    assert not any(small["more"].values()) and "not listed" not in mail.render("D1", small, "en").text


def test_d3_record_is_capped_but_counted():
    data = period_data()
    revisit = next(o for o in data["orders"] if o["kind"] == "revisit")
    n = digests.DIGEST_ROWS + 5
    data["orders"] = [dict(revisit, order_key=f"R{i}:revisit:1", complaint_id=f"R{i}") for i in range(n)]
    o = org()
    v = digests.revisit_view(data, o, digests.WHOLE, o.recipient(o.staff["GM"]))
    assert v["counts"]["records"] == n and len(v["records"]) == digests.DIGEST_ROWS and v["more"]["records"] == 5
    for lang, more in (("en", "and 5 more not listed"), ("zh", "另有 5 条未列出")):
        r = mail.render("D3", v, lang)
        assert more in r.text and more in r.html and f"({n})" in r.text

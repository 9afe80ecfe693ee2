"""The demo generator (complaint_ops.demo): deterministic, valid intake records, and every case the
policy tells apart present in a default 6-month run, with realistic timing (POLICY §3)."""

from __future__ import annotations

import datetime as dt
import json
import tracemalloc
from collections import Counter, defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from complaint_ops import business_calendar, demo, followups, intake, policy
from complaint_ops.cli import main

TZ = ZoneInfo("Asia/Shanghai")
END = dt.date(2026, 11, 20)
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "intake_example.jsonl"


def lines(records) -> list[str]:
    return [json.dumps(r, ensure_ascii=False, sort_keys=False) for r in records]


def ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return list(demo.generate(6, 7, END))


@pytest.fixture(scope="module")
def by_type(records) -> dict[str, list[dict]]:
    out = defaultdict(list)
    for r in records:
        out[r["type"]].append(r)
    return out


@pytest.fixture(scope="module")
def events_of(by_type) -> dict[str, dict[str, dict]]:
    """complaint id -> stage (or FWD) -> event (stage events only; follow-ups: `follow_ups_of`)."""
    out: dict[str, dict[str, dict]] = defaultdict(dict)
    for e in by_type["event"]:
        if e["event_type"] in ("forwarded", "stage_done"):
            out[e["complaint_id"]][e.get("stage", "FWD")] = e
    return out


@pytest.fixture(scope="module")
def follow_ups_of(by_type) -> dict[str, dict[str, dict]]:
    """complaint id -> order key -> the event completing that follow-up order."""
    out: dict[str, dict[str, dict]] = defaultdict(dict)
    for e in by_type["event"]:
        if e["event_type"] in intake.ORDER_EVENTS:
            assert e["order_key"] not in out[e["complaint_id"]], e  # one completion per order
            out[e["complaint_id"]][e["order_key"]] = e
    return out


@pytest.fixture(scope="module")
def calendar() -> business_calendar.WorkCalendar:
    start, _ = demo.period(6, END)
    days = business_calendar.build_days(start - dt.timedelta(days=10), END + dt.timedelta(days=120),
                                        allow_estimated=True)
    return business_calendar.WorkCalendar.from_days(days)


# --- determinism -----------------------------------------------------------------------------------


def test_same_seed_and_arguments_give_byte_identical_records(records):
    assert lines(demo.generate(6, 7, END)) == lines(records)


def test_a_different_seed_or_end_date_gives_different_records(records):
    assert lines(demo.generate(6, 8, END)) != lines(records)
    assert lines(demo.generate(6, 7, END - dt.timedelta(days=1))) != lines(records)


def test_the_generator_reads_neither_the_clock_nor_the_global_rng(monkeypatch, records):
    import random

    class NoClock(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            raise AssertionError("the generator must not read the clock")

        @classmethod
        def today(cls):
            raise AssertionError("the generator must not read the clock")

    monkeypatch.setattr(demo.dt, "datetime", NoClock)
    random.seed(12345)
    state = random.getstate()
    assert lines(demo.generate(6, 7, END)) == lines(records)
    assert random.getstate() == state


# --- shape -------------------------------------------------------------------------------------------


def test_org_comes_first_then_each_complaint_followed_by_its_events(records):
    kinds = [r["type"] for r in records]
    first_complaint = kinds.index("complaint")
    assert set(kinds[:first_complaint]) == {"department", "team", "staff", "customer"}
    order = ["department", "team", "staff", "customer"]
    assert [k for k in dict.fromkeys(kinds[:first_complaint])] == order
    current = None
    for r in records[first_complaint:]:
        if r["type"] == "complaint":
            current = r["id"]
        else:
            assert r["type"] == "event" and r["complaint_id"] == current


def test_supervisors_and_managers_exist_and_precede_the_people_they_supervise(by_type):
    seen = set()
    for s in by_type["staff"]:
        if s.get("supervisor_id"):
            assert s["supervisor_id"] in seen, s
        seen.add(s["id"])
    staff = {s["id"]: s for s in by_type["staff"]}
    for d in by_type["department"]:
        manager = staff[d["manager_id"]]
        assert manager["department_id"] == d["id"]
        assert manager["role"] == ("general_manager" if d["id"] == "GMO" else "department_head")
    for c in by_type["customer"]:
        assert staff[c["account_manager_id"]]["role"] == "account_manager"


def test_the_company_has_every_role_teams_and_a_few_english_speakers(by_type):
    roles = Counter(s["role"] for s in by_type["staff"])
    assert set(roles) == set(intake.ROLES)
    assert roles["general_manager"] == roles["company_manager"] == roles["gm_secretary"] == 1
    names = {d["name"] for d in by_type["department"]}
    assert {"财务部", "会计服务部", "税务部", "客服部", "行政部", "总经理办公室"} <= names
    assert by_type["team"] and any(s.get("team_id") for s in by_type["staff"])
    languages = Counter(s["language"] for s in by_type["staff"])
    assert 0 < languages["en"] < languages["zh"]
    assert all(s["email"].isascii() and s["email"].endswith("@example.com") for s in by_type["staff"])
    assert len({s["email"] for s in by_type["staff"]}) == len(by_type["staff"])
    assert all(len(c["phone"]) == 11 and c["phone"].startswith("1") for c in by_type["customer"])


def test_every_generated_record_passes_intake_normalize(records):
    for r in records:
        intake.normalize(r, TZ)  # raises RecordError on any bad field


def test_the_example_file_shows_every_record_and_event_type_and_passes_normalize():
    example = [json.loads(line) for line in EXAMPLE.read_text(encoding="utf-8").splitlines()]
    assert 25 <= len(example) <= 45
    assert {r["type"] for r in example} == set(intake.TYPES)
    assert {r["event_type"] for r in example if r["type"] == "event"} == set(intake.EVENT_TYPES)
    for r in example:
        intake.normalize(r, TZ)
    # the follow-up orders of followups.py, each kind once (F4 after an unhappy on-site revisit)
    keys = {r["order_key"].split(":", 1)[1] for r in example if r.get("order_key")}
    assert keys == {"F1:assignment", "F3:reply_letter", "revisit:1", "F4:1.1", "S1"}
    assert any(r.get("outcome") == "unsatisfied" and r.get("method") == "on_site" and r.get("signature") is True
               for r in example)
    assert any(r.get("outcome") in followups.UNHAPPY for r in example)


def test_every_event_id_is_unique(by_type):
    ids = [e["id"] for e in by_type["event"]]
    assert len(ids) == len(set(ids))


def test_who_files_what_follows_policy_section_2(by_type):
    staff = {s["id"]: s for s in by_type["staff"]}
    for c in by_type["complaint"]:
        filer = staff[c["filer_id"]]
        if c["kind"] == "external":  # [000 四.6] customer service only
            assert filer["role"] == "customer_service" and c["handler_id"] == c["filer_id"]
            assert c.get("customer_id") or c.get("anonymous")
        else:  # [000 四.2] a department head, against another department or their own subordinate
            assert filer["role"] == "department_head"
            assert staff[c["handler_id"]]["role"] == "gm_secretary"
            if filer["department_id"] == c["target_department_id"]:
                assert staff[c["target_staff_id"]]["department_id"] == c["target_department_id"]
            else:
                assert "target_staff_id" not in c


def test_summaries_are_chinese_and_some_carry_characters_that_need_escaping(by_type):
    summaries = [c["summary"] for c in by_type["complaint"]]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in s) for s in summaries)
    assert any("<" in s for s in summaries) and any("&" in s for s in summaries)


# --- timing (POLICY §3) ------------------------------------------------------------------------------


def test_no_event_before_its_complaint_was_received_nor_after_the_end_date(by_type):
    received = {c["id"]: ts(c["received_at"]) for c in by_type["complaint"]}
    end = dt.datetime.combine(END + dt.timedelta(days=1), dt.time(0), TZ)
    start, _ = demo.period(6, END)
    for c in by_type["complaint"]:
        assert dt.datetime.combine(start, dt.time(0), TZ) <= received[c["id"]] < end
        if "decided_at" in c:
            assert received[c["id"]] <= ts(c["decided_at"]) < end
    for e in by_type["event"]:
        assert received[e["complaint_id"]] <= ts(e["occurred_at"]) < end


def test_everything_happens_in_working_hours_on_working_days_with_the_local_offset(records, calendar):
    for r in records:
        for key in ("received_at", "occurred_at", "decided_at"):
            if key in r:
                assert r[key].endswith("+08:00")
                t = ts(r[key])
                assert calendar.is_working(t.date()), r
                assert dt.time(9) <= t.time() < dt.time(18), r


def _deadlines(c: dict, ev: dict[str, dict], calendar) -> dict[str, dt.datetime]:
    """Each stage's deadline by POLICY §3, counted with the business calendar (independent of demo.py)."""
    add = lambda t, n: calendar.add_working_days(ts(t) if isinstance(t, str) else t, n, TZ)  # noqa: E731
    if c["kind"] == "internal":
        out = {"I2": add(c["received_at"], 1), "I3": add(c["received_at"], 2)}
        if "FWD" in ev:
            out["I1"] = add(ev["FWD"]["occurred_at"], 1)
        return out
    out, prev = {}, c["received_at"]
    for stage in ("E1", "E2", "E3", "E4"):
        out[stage] = add(prev, 1)
        if stage not in ev:
            break
        prev = ev[stage]["occurred_at"]
    return out


def test_most_stages_are_done_in_time_some_late_by_days_at_every_stage_and_a_few_never(
        by_type, events_of, calendar):
    in_time, late, days_late = Counter(), Counter(), defaultdict(list)
    for c in by_type["complaint"]:
        ev = events_of[c["id"]]
        for stage, deadline in _deadlines(c, ev, calendar).items():
            if stage in ev:
                done = ts(ev[stage]["occurred_at"])
                if done <= deadline:
                    in_time[stage] += 1
                else:
                    late[stage] += 1
                    days_late[stage].append(calendar.working_days_between(deadline.date(), done.date()))
    for stage in ("I1", "I2", "I3", "E1", "E2", "E3", "E4"):
        assert late[stage] >= 1, f"no late {stage}"
        assert in_time[stage] >= 4 * late[stage], f"{stage}: {in_time[stage]} in time, {late[stage]} late"
    assert max(max(v) for v in days_late.values()) >= 2  # "a few days late"
    internal = [c for c in by_type["complaint"] if c["kind"] == "internal"]
    external = [c for c in by_type["complaint"] if c["kind"] == "external"]
    assert any("FWD" in events_of[c["id"]] and "I1" not in events_of[c["id"]] and "I3" in events_of[c["id"]]
               for c in internal), "P10: a department that never replied while the process went on"
    assert any("I2" in events_of[c["id"]] and "I3" not in events_of[c["id"]] for c in internal)
    assert any("E1" in events_of[c["id"]] and "E2" not in events_of[c["id"]] for c in external)
    assert any("E3" in events_of[c["id"]] and "E4" not in events_of[c["id"]] for c in external), "F5 case"
    assert all("FWD" in events_of[c["id"]] for c in internal if c["received_at"] < "2026-11-19")


# --- every case of the policy, at least once ---------------------------------------------------------


def census(by_type, events_of) -> Counter:
    """Which policy cases a history shows (computed from the records alone)."""
    staff = {s["id"]: s for s in by_type["staff"]}
    end = dt.datetime.combine(END + dt.timedelta(days=1), dt.time(0), TZ)
    seen = Counter()
    for c in by_type["complaint"]:
        ev = events_of[c["id"]]
        seen[c["kind"]] += 1
        seen["upheld" if c.get("upheld") else "rejected" if c.get("upheld") is False else "undecided"] += 1
        loss = float(c.get("loss_amount", "0"))
        seen["loss<500"] += 0 < loss < 500
        seen["loss>=500"] += loss >= 500
        for flag in ("customer_lost", "bad_attitude", "obstruction", "obstruction_grave", "anonymous",
                     "reply_letter_only", "major", "severity_raised", "handler_fine", "duplicate_of"):
            seen[flag] += bool(c.get(flag))
        seen["written"] += c["channel"] == "written" and c.get("written") is True
        seen["delay>=3"] += c.get("delay_days", 0) >= 3
        seen["against staff with supervisor"] += bool(c.get("target_staff_id")
                                                      and staff[c["target_staff_id"]].get("supervisor_id"))
        seen["against team"] += bool(c.get("target_team_id"))
        seen["forwarded"] += "FWD" in ev
        closed = ev.get("I3") or ev.get("E4")
        if c.get("upheld") and closed and ts(closed["occurred_at"]) < end - dt.timedelta(days=31):
            seen["second-round candidate (S1)"] += 1
    return seen


def test_every_case_listed_for_the_demo_is_present_in_a_default_six_month_run(by_type, events_of):
    seen = census(by_type, events_of)
    wanted = ("internal", "external", "upheld", "rejected", "loss<500", "loss>=500", "customer_lost",
              "bad_attitude", "obstruction", "obstruction_grave", "anonymous", "reply_letter_only", "major",
              "written", "delay>=3", "against staff with supervisor", "against team", "forwarded",
              "duplicate_of", "severity_raised", "handler_fine", "second-round candidate (S1)")
    assert [w for w in wanted if not seen[w]] == []
    total = len(by_type["complaint"])
    assert 250 <= total <= 450  # ~3 a working day
    assert demo.planned_total(6, END) == total
    assert seen["upheld"] > 3 * seen["rejected"] > 0
    assert seen["major"] < total * 0.05 and seen["obstruction_grave"] < seen["obstruction"] + 1


def test_repeats_of_the_same_problem_R2(by_type):
    """3+ complaints with one problem_code, same department and category, within 180 days."""
    groups = defaultdict(list)
    for c in by_type["complaint"]:
        groups[c["problem_code"]].append(c)
    repeats = [g for g in groups.values() if len(g) >= 3 and not any(c.get("major") for c in g)]
    assert repeats
    for g in repeats:
        assert len({(c["target_department_id"], c["category"]) for c in g}) == 1
        times = sorted(ts(c["received_at"]) for c in g)
        assert (times[2] - times[0]).days <= 180
        customers = [c.get("customer_id") for c in g if c.get("customer_id")]
        # never an accidental collective complaint: 3 of them never fall within 7 days
        assert all((times[i + 2] - times[i]).days > 7 for i in range(len(times) - 2)) or len(set(customers)) < 3


def test_duplicates_link_to_a_complaint_of_the_same_customer_and_problem_R1(by_type):
    complaints = {c["id"]: c for c in by_type["complaint"]}
    duplicates = [c for c in by_type["complaint"] if c.get("duplicate_of")]
    assert duplicates
    for d in duplicates:
        first = complaints[d["duplicate_of"]]
        assert first["customer_id"] == d["customer_id"] and first["problem_code"] == d["problem_code"]
        assert ts(first["received_at"]) < ts(d["received_at"])


def test_one_collective_complaint_of_3_plus_customers_within_7_days_is_major_R3(by_type):
    groups = defaultdict(list)
    for c in by_type["complaint"]:
        groups[c["problem_code"]].append(c)
    collective = [g for g in groups.values() if len({c.get("customer_id") for c in g}) >= 3
                  and (max(ts(c["received_at"]) for c in g) - min(ts(c["received_at"]) for c in g)).days <= 7]
    assert len(collective) == 1
    assert all(c["major"] and c["kind"] == "external" for c in collective[0])


def test_a_major_incident_such_as_people_trapped_in_a_lift_A1(by_type):
    incidents = [c for c in by_type["complaint"] if c.get("major") and ("电梯困人" in c["summary"] or "停电" in c["summary"])]
    assert incidents and all(c["target_department_id"] == "PRM" for c in incidents)


def test_problem_codes_are_unique_outside_deliberate_groups(by_type):
    codes = Counter(c["problem_code"] for c in by_type["complaint"])
    shared = {code for code, n in codes.items() if n > 1}
    grouped = {c["problem_code"] for c in by_type["complaint"]
               if c.get("duplicate_of") or c.get("major") or "-R" in c["problem_code"]}
    assert shared <= grouped


# --- follow-ups (POLICY §5, §6) ----------------------------------------------------------------------


def closing(c: dict, ev: dict[str, dict]) -> dt.datetime | None:
    done = ev.get("I3" if c["kind"] == "internal" else "E4")
    return ts(done["occurred_at"]) if done else None


@pytest.fixture(scope="module")
def derived_orders(by_type, events_of, follow_ups_of, calendar) -> dict[str, followups.Order]:
    """Every follow-up order followups.py derives from the generated history (order key -> order)."""
    book = policy.load_policy()
    staff = {s["id"]: s for s in by_type["staff"]}
    role = {s["role"]: s["id"] for s in by_type["staff"]}
    managers = {d["id"]: d["manager_id"] for d in by_type["department"]}
    accounts = {c["id"]: c["account_manager_id"] for c in by_type["customer"]}
    out = {}
    for c in by_type["complaint"]:
        closed = closing(c, events_of[c["id"]])
        if closed is None:
            continue
        done = {k: (ts(e["occurred_at"]), e.get("outcome")) for k, e in follow_ups_of[c["id"]].items()}
        facts = followups.FollowUpFacts(
            complaint_id=c["id"], kind=c["kind"], closed_at=closed, upheld=c.get("upheld") is True,
            anonymous=bool(c.get("anonymous")), reply_letter_only=bool(c.get("reply_letter_only")),
            weight="ordinary", handler_id=c["handler_id"], account_manager_id=accounts.get(c.get("customer_id")),
            department_head_id=managers[c["target_department_id"]], cs_assistant_id=role["cs_assistant"],
            company_manager_id=role["company_manager"], done=done)
        for o in followups.follow_up_orders(facts, calendar, book.in_force(closed.date()), TZ):
            out[o.order_key] = o
    assert staff and out
    return out


def test_the_follow_up_periods_are_those_of_the_policy_in_force():
    start, _ = demo.period(6, END)
    for day in (start, END):
        version = policy.load_policy().in_force(day)
        assert demo.ASSIGNMENT_DUE_WD == version.follow_ups.assignment_due_wd
        assert demo.FIRST_REVISIT_DAYS == version.follow_ups.first_revisit_days
        assert demo.REVISIT_MONTHS == tuple(version.follow_ups.revisit_months[1:3])
        assert (demo.S1_OPENS_AFTER_DAYS, demo.S1_DUE_WD) == (version.second_round.opens_after_days,
                                                             version.second_round.due_wd)
        assert (demo.REPEAT_WINDOW_DAYS, demo.REPEAT_MEDIUM) == (version.severity.medium_repeat_window_days,
                                                                version.severity.medium_repeat_count)


def test_every_follow_up_event_completes_an_order_followups_derives_never_before_it_starts(
        by_type, follow_ups_of, derived_orders):
    event_type = {"assignment": "order_done", "reply_letter": "order_done", "revisit": "revisit_done",
                  "second_round": "second_round_result"}
    n = 0
    for cid, done in follow_ups_of.items():
        for key, e in done.items():
            order = derived_orders.get(key)
            assert order is not None and order.complaint_id == cid, e  # real keys, F4 numbered as followups.py does
            assert e["event_type"] == event_type[order.kind], e
            assert ts(e["occurred_at"]) >= order.started_at, e  # never before the order starts
            n += 1
    kinds = Counter(derived_orders[k].rule for d in follow_ups_of.values() for k in d)
    assert {"F1", "F2", "F3", "F4", "S1"} <= set(kinds), kinds
    assert n > len(by_type["complaint"])  # most closed complaints have several


def test_follow_ups_only_for_closed_complaints_and_never_before_closing(by_type, events_of, follow_ups_of):
    complaints = {c["id"]: c for c in by_type["complaint"]}
    for cid, done in follow_ups_of.items():
        c = complaints[cid]
        closed = closing(c, events_of[cid])
        assert closed is not None, cid
        for key, e in done.items():
            assert ts(e["occurred_at"]) > closed, e
            if key.endswith(":S1"):
                assert ts(e["occurred_at"]) >= closed + dt.timedelta(days=30), e
            if c["kind"] == "internal":
                assert key.endswith(":S1"), e  # internal complaints get no assignment order nor revisit
            if c.get("anonymous") or c.get("reply_letter_only"):
                assert ":revisit:" not in key and ":F4:" not in key, e  # F3: no revisit


def test_most_assignment_orders_and_reply_letters_are_done_within_a_day_or_two_some_late(
        by_type, events_of, follow_ups_of, derived_orders, calendar):
    end = dt.datetime.combine(END - dt.timedelta(days=5), dt.time(0), TZ)
    in_time, late = Counter(), Counter()
    for key, order in derived_orders.items():
        if order.kind not in ("assignment", "reply_letter") or order.started_at >= end:
            continue
        e = follow_ups_of[order.complaint_id].get(key)
        assert e is not None, f"{key}: never done"  # all of them, a few late
        done = ts(e["occurred_at"])
        assert calendar.working_days_between(order.started_at.astimezone(TZ).date(), done.date()) <= 3
        (in_time if done <= order.due_at else late)[order.kind] += 1
    assert late["assignment"] >= 1 and in_time["assignment"] >= 3 * late["assignment"]
    assert in_time["reply_letter"] >= 1


def test_revisits_are_done_around_their_due_date_some_late_some_never(follow_ups_of, derived_orders):
    cutoff = dt.datetime.combine(END - dt.timedelta(days=10), dt.time(0), TZ)
    status = Counter()
    days_off = []
    for key, order in derived_orders.items():
        if order.kind != "revisit" or order.due_at >= cutoff:
            continue
        e = follow_ups_of[order.complaint_id].get(key)
        if e is None:
            status["never"] += 1
            continue
        done = ts(e["occurred_at"])
        status["in time" if done <= order.due_at else "late"] += 1
        days_off.append((done - order.due_at).total_seconds() / 86400)
    assert status["late"] >= 1 and status["never"] >= 1, status
    assert status["in time"] >= 4 * (status["late"] + status["never"]), status
    assert sorted(days_off)[len(days_off) // 2] > -2  # around the due date, not long before it


def test_revisits_are_mostly_by_phone_and_on_site_ones_are_always_signed(follow_ups_of):
    revisits = [e for d in follow_ups_of.values() for e in d.values() if e["event_type"] == "revisit_done"]
    methods = Counter(e["method"] for e in revisits)
    assert methods["phone"] > 3 * methods["on_site"] > 0
    for e in revisits:
        assert (e.get("signature") is True) == (e["method"] == "on_site"), e


def test_a_realistic_share_of_revisits_finds_the_customer_unhappy_and_schedules_F4_revisits(
        follow_ups_of, derived_orders):
    revisits = [e for d in follow_ups_of.values() for e in d.values() if e["event_type"] == "revisit_done"]
    unhappy = [e for e in revisits if e["outcome"] == "unsatisfied"]
    assert 0.05 <= len(unhappy) / len(revisits) <= 0.2
    f4 = [k for k in derived_orders if ":F4:" in k]
    assert len(f4) == len(unhappy)  # each unhappy revisit scheduled exactly one more
    done_f4 = [e for e in revisits if ":F4:" in e["order_key"]]
    assert 0 < len(done_f4) < len(f4)  # most are done, some not (yet)
    for e in done_f4:  # by the owner of an unhappy revisit of the same complaint (F4: the same owner)
        assert e["actor_id"] in {u["actor_id"] for u in unhappy if u["complaint_id"] == e["complaint_id"]}, e


def test_second_round_results_only_for_upheld_closed_complaints_mostly_improved(
        by_type, events_of, follow_ups_of):
    complaints = {c["id"]: c for c in by_type["complaint"]}
    results = [e for d in follow_ups_of.values() for e in d.values() if e["event_type"] == "second_round_result"]
    for e in results:
        c = complaints[e["complaint_id"]]
        assert c.get("upheld") is True and closing(c, events_of[c["id"]]) is not None, e
        assert e["order_key"] == f"{c['id']}:S1" and e["actor_id"] == c["handler_id"]
    outcomes = Counter(e["outcome"] for e in results)
    assert outcomes["not_improved"] >= 1 and outcomes["still_unhappy"] >= 1  # S2: second-round complaints
    assert outcomes["improved"] > 0.75 * len(results)
    # most upheld complaints closed well before the end have their second-round result
    end = dt.datetime.combine(END, dt.time(0), TZ)
    eligible = [c for c in by_type["complaint"] if c.get("upheld") is True
                and (closed := closing(c, events_of[c["id"]])) and closed < end - dt.timedelta(days=50)]
    assert len([c for c in eligible if f"{c['id']}:S1" in follow_ups_of[c["id"]]]) > 0.8 * len(eligible)


def test_follow_ups_are_done_by_plausible_owners(by_type, follow_ups_of):
    staff = {s["id"]: s for s in by_type["staff"]}
    complaints = {c["id"]: c for c in by_type["complaint"]}
    accounts = {c["id"]: c["account_manager_id"] for c in by_type["customer"]}
    managers = {d["id"]: d["manager_id"] for d in by_type["department"]}
    for cid, done in follow_ups_of.items():
        c = complaints[cid]
        manager = accounts.get(c.get("customer_id")) or c["handler_id"]  # anonymous: the handler
        for key, e in done.items():
            order = key[len(cid) + 1:]
            if order in ("F1:assignment", "revisit:2", "revisit:3"):
                assert e["actor_id"] == manager, e  # the customer's account manager 会计经理
            elif order in ("F3:reply_letter", "S1"):
                assert e["actor_id"] == c["handler_id"], e
            elif order == "revisit:1":  # F2: by weight
                assert e["actor_id"] in (managers[c["target_department_id"]],) or \
                    staff[e["actor_id"]]["role"] in ("cs_assistant", "company_manager"), e
            else:
                assert staff[e["actor_id"]]["role"] in ("cs_assistant", "department_head", "company_manager",
                                                        "account_manager", "customer_service"), e


def test_follow_ups_do_not_change_the_rest_of_the_history():
    """The follow-ups draw from a stream of their own: without them the records are what the seed gave
    before they existed (complaints, stages and decisions depend only on the seed)."""
    short = [r for r in demo.generate(2, 7, END) if not (r["type"] == "event" and r.get("order_key"))]
    assert all(r["type"] != "event" or r["event_type"] in ("forwarded", "stage_done") for r in short)
    assert sum(r["type"] == "complaint" for r in short) == demo.planned_total(2, END)


# --- size -------------------------------------------------------------------------------------------


def test_complaints_sets_the_exact_total_and_grows_staff_and_customers():
    counts = Counter(r["type"] for r in demo.generate(6, 7, END, complaints=20_000))
    assert counts["complaint"] == 20_000
    default = Counter(r["type"] for r in demo.generate(6, 7, END))
    assert counts["staff"] > default["staff"] and counts["customer"] == 5_000 > default["customer"]


@pytest.mark.parametrize("n", [0, 1, 7, 40])
def test_tiny_totals_are_exact_and_still_valid(n):
    records = list(demo.generate(2, 3, END, complaints=n))
    assert sum(r["type"] == "complaint" for r in records) == n
    for r in records:
        intake.normalize(r, TZ)


def test_generation_streams_in_flat_memory():
    tracemalloc.start()
    try:
        for _ in demo.generate(6, 7, END, complaints=20_000):
            pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024  # ~100k records would take several times this if they were kept


# --- helpers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("day, months, expected", [
    (dt.date(2026, 11, 22), 6, dt.date(2026, 5, 22)), (dt.date(2026, 8, 31), 6, dt.date(2026, 2, 28)),
    (dt.date(2026, 3, 31), 1, dt.date(2026, 2, 28)), (dt.date(2026, 1, 15), 2, dt.date(2025, 11, 15)),
])
def test_add_months_clamps_to_the_end_of_the_month(day, months, expected):
    assert demo.add_months(day, -months) == expected


def test_the_period_ends_with_the_end_date_and_the_default_end_is_yesterday_locally():
    assert demo.period(6, dt.date(2026, 11, 22)) == (dt.date(2026, 5, 23), dt.date(2026, 11, 22))
    late_evening_utc = dt.datetime(2026, 11, 22, 17, 0, tzinfo=dt.timezone.utc)  # 01:00 on the 23rd in Shanghai
    assert demo.default_end_date(late_evening_utc, TZ) == dt.date(2026, 11, 22)
    with pytest.raises(demo.DemoError):
        demo.period(0, END)


def test_demo_data_out_writes_the_generated_records_as_jsonl(tmp_path, capsys):
    out = tmp_path / "demo.jsonl"
    assert main(["demo-data", "--months", "2", "--seed", "5", "--end-date", "2026-10-31", "--out", str(out)]) == 0
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert written == list(demo.generate(2, 5, dt.date(2026, 10, 31)))
    assert "complaint" in capsys.readouterr().out


def test_demo_data_refuses_an_end_date_that_is_not_in_the_past(tmp_path, capsys):
    future = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    assert main(["demo-data", "--end-date", future, "--out", str(tmp_path / "x.jsonl")]) == 2
    assert "not in the past" in capsys.readouterr().err


def test_history_mode_holds_org_and_daily_intake_steady_and_closes_old_work():
    """bench/: demo.History keeps the organisation fixed whatever the size, gives every working day
    (nearly) the same intake, and leaves nothing open for ever: every complaint received more than a
    month before the end reaches its closing stage (E4 / I3), bar the few forced never-done cases."""
    end = dt.date(2026, 6, 30)
    history = demo.History(scale=2, customers=400, flat=True, settle=True)
    days = len(demo._days(4, end, "CN"))
    small = list(demo.generate(4, 3, end, days * 20, history=history))
    large = list(demo.generate(4, 3, end, days * 40, history=history))
    staff = lambda recs: sorted(r["id"] for r in recs if r["type"] == "staff")  # noqa: E731
    assert staff(small) == staff(large) and sum(r["type"] == "customer" for r in large) == 400
    per_day = Counter(r["received_at"][:10] for r in large if r["type"] == "complaint")
    assert len(per_day) == days
    assert max(per_day.values()) - min(per_day.values()) <= 40 * 0.35  # groups land on some days
    closing = {r["complaint_id"] for r in large if r.get("stage") in ("E4", "I3")}
    old = [r for r in large if r["type"] == "complaint" and r["received_at"][:10] < "2026-05-25"]
    open_old = [r["id"] for r in old if r["id"] not in closing]
    assert len(open_old) <= len(demo.FORCED) + 3, open_old[:10]
    default = list(demo.generate(4, 3, end, days * 40))  # without History: some complaints stay open
    closing_default = {r["complaint_id"] for r in default if r.get("stage") in ("E4", "I3")}
    old_default = [r for r in default if r["type"] == "complaint" and r["received_at"][:10] < "2026-05-25"]
    assert sum(r["id"] not in closing_default for r in old_default) > len(open_old) + 20

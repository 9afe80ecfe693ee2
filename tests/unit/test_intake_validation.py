"""Intake field validation (pure: no database). Each bad field gives its name and a reason."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from complaint_ops.intake import RecordError, normalize
from tests import figures
from tests.factories import complaint, event

TZ = ZoneInfo("Asia/Shanghai")


def test_complaint_row_has_local_received_date_and_exact_amount():
    table, row = normalize(complaint("C1", received_at="2026-03-02T00:30:00+08:00", loss_amount="800.5"), TZ)
    assert table == "complaints"
    assert row["received_date"] == dt.date(2026, 3, 2)  # local date, although UTC is still 1 March
    assert row["received_at"].utcoffset() == dt.timedelta(hours=8)
    assert row["loss_amount"] == Decimal("800.50")


def test_naive_timestamp_is_read_in_the_business_zone():
    _, row = normalize(complaint("C1", received_at="2026-03-02T10:00:00"), TZ)
    assert row["received_at"] == dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.timezone.utc)


def test_written_channel_implies_written_reply():
    _, row = normalize(complaint("C1", channel="written"), TZ)
    assert row["written"] is True


def test_external_complaint_handler_defaults_to_the_customer_service_filer():
    _, row = normalize(complaint("C1"), TZ)
    assert row["handler_id"] == "CS1"


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"loss_amount": "-5"}, "loss_amount", "negative"),
        ({"loss_amount": "NaN"}, "loss_amount", "finite"),
        ({"loss_amount": "1e20"}, "loss_amount", "larger"),
        ({"loss_amount": "12.345"}, "loss_amount", "two decimals"),
        ({"loss_amount": "abc"}, "loss_amount", "decimal amount"),
        ({"received_at": "1900-01-01T00:00:00+08:00"}, "received_at", "plausible"),
        ({"received_at": "2999-01-01T00:00:00+08:00"}, "received_at", "plausible"),
        ({"received_at": "yesterday"}, "received_at", "ISO 8601"),
        ({"kind": "sideways"}, "kind", "not one of"),
        ({"category": "weather"}, "category", "not one of"),
        ({"channel": "pigeon"}, "channel", "not one of"),
        ({"customer_lost": "maybe"}, "customer_lost", "boolean"),
        ({"delay_days": "3.5"}, "delay_days", "whole number"),
        ({"delay_days": -1}, "delay_days", "out of range"),
        ({"id": "C 1; DROP TABLE complaints"}, "id", "not a valid id"),
        ({"summary": "x" * 10_001}, "summary", "at most 10000"),
        ({"colour": "red"}, "colour", "unknown field"),
        ({"upheld": True}, "decided_at", "go together"),
        ({"customer_id": None}, "customer_id", "needs its customer"),
        ({"duplicate_of": "C1"}, "duplicate_of", "itself"),
        ({"obstruction_grave": True}, "obstruction_grave", "also be an obstruction"),
        ({"decided_at": "2026-03-01T10:00:00+08:00", "upheld": False}, "decided_at", "before the complaint"),
    ],
)
def test_bad_complaint_field_is_named_with_a_reason(overrides, field, reason):
    record = complaint("C1", **overrides)
    if overrides.get("customer_id", 1) is None:
        del record["customer_id"]
    figures.count("bad inputs tried")
    with pytest.raises(RecordError) as err:
        normalize(record, TZ)
    assert err.value.field == field
    assert reason in err.value.reason


@pytest.mark.parametrize(
    ("record", "field", "reason"),
    [
        ({"type": "staff", "id": "S1", "name": "A\r\nBcc: x@y", "department_id": "D", "role": "staff"}, "name", "control character"),
        ({"type": "staff", "id": "S1", "name": "<b>A</b>", "department_id": "D", "role": "staff"}, "name", "'<' or '>'"),
        ({"type": "staff", "id": "S1", "name": "A", "department_id": "D", "role": "staff", "email": "not-an-address"}, "email", "e-mail"),
        ({"type": "staff", "id": "S1", "name": "A", "department_id": "D", "role": "boss"}, "role", "not one of"),
        ({"type": "staff", "id": "S1", "name": "A", "department_id": "D", "role": "staff", "supervisor_id": "S1"}, "supervisor_id", "own supervisor"),
        ({"type": "staff", "id": "S1", "department_id": "D", "role": "staff"}, "name", "required"),
        ({"type": "customer", "id": "K1", "name": "A", "phone": "call me"}, "phone", "phone number"),
        ({"type": "planet", "id": "X"}, "type", "not one of"),
        ({"type": "department", "id": "D", "name": 42.5j if False else ["list"]}, "name", "must be text"),
    ],
)
def test_bad_master_data_field_is_named(record, field, reason):
    figures.count("bad inputs tried")
    with pytest.raises(RecordError) as err:
        normalize(record, TZ)
    assert err.value.field == field
    assert reason in err.value.reason


def test_on_site_revisit_without_signature_is_rejected_F2():
    record = event("v1", "C1", None, "2026-03-05T10:00:00+08:00", event_type="revisit_done",
                   order_key="C1:revisit:1", method="on_site", outcome="satisfied")
    with pytest.raises(RecordError) as err:
        normalize(record, TZ)
    assert err.value.field == "signature"
    record["signature"] = True
    assert normalize(record, TZ)[1]["signature"] is True


def test_stage_done_needs_a_stage_and_decision_needs_an_outcome():
    with pytest.raises(RecordError) as err:
        normalize(event("e1", "C1", None, "2026-03-02T11:00:00+08:00"), TZ)
    assert err.value.field == "stage"
    with pytest.raises(RecordError) as err:
        normalize(event("e2", "C1", None, "2026-03-02T11:00:00+08:00", event_type="decision"), TZ)
    assert err.value.field == "outcome"


def test_event_row_carries_local_date_and_a_content_hash():
    _, row = normalize(event("e1", "C1", "E1", "2026-03-02T23:30:00+08:00"), TZ)
    assert row["occurred_date"] == dt.date(2026, 3, 2)
    _, again = normalize(event("e1", "C1", "E1", "2026-03-02T23:30:00+08:00"), TZ)
    _, moved = normalize(event("e1", "C1", "E1", "2026-03-02T23:31:00+08:00"), TZ)
    assert row["content_hash"] == again["content_hash"] != moved["content_hash"]


@pytest.mark.parametrize(
    ("event_type", "key", "ok"),
    [
        ("revisit_done", "C1:revisit:1", True),
        ("revisit_done", "C1:F4:2.1", True),
        ("revisit_done", "C1:F4:2", False),
        ("revisit_done", "C1:F1:assignment", False),
        ("revisit_done", "C2:revisit:1", False),  # another complaint's order
        ("order_done", "C1:F1:assignment", True),
        ("order_done", "C1:F3:reply_letter", True),
        ("order_done", "C1:S1", False),
        ("second_round_result", "C1:S1", True),
        ("second_round_result", "C1:revisit:1", False),
    ],
)
def test_follow_up_event_must_name_an_order_it_can_complete(event_type, key, ok):
    extra = {"order_key": key}
    if event_type == "revisit_done":
        extra.update(method="phone", outcome="satisfied")
    if event_type == "second_round_result":
        extra["outcome"] = "improved"
    record = event("x", "C1", None, "2026-03-05T10:00:00+08:00", event_type=event_type, **extra)
    if ok:
        assert normalize(record, TZ)[1]["order_key"] == key
    else:
        with pytest.raises(RecordError) as err:
            normalize(record, TZ)
        assert err.value.field == "order_key"

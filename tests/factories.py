"""Small hand-written records in the intake format (docs/intake.md) for tests."""

from __future__ import annotations

import datetime as dt

NOW = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)


def org() -> list[dict]:
    """Two departments with heads, customer service, a GM secretary, a team and a customer."""
    return [
        {"type": "department", "id": "FIN", "name": "财务部", "manager_id": "HEAD_FIN"},
        {"type": "department", "id": "CS", "name": "客服部", "manager_id": "HEAD_CS"},
        {"type": "department", "id": "GMO", "name": "总经理办公室", "manager_id": "GM"},
        {"type": "team", "id": "FIN_T1", "name": "记账一组", "department_id": "FIN"},
        {"type": "staff", "id": "GM", "name": "赵总", "department_id": "GMO", "role": "general_manager", "email": "gm@example.com"},
        {"type": "staff", "id": "SEC", "name": "钱秘书", "department_id": "GMO", "role": "gm_secretary", "email": "sec@example.com"},
        {"type": "staff", "id": "HEAD_FIN", "name": "孙主管", "department_id": "FIN", "role": "department_head", "email": "fin@example.com", "language": "en"},
        {"type": "staff", "id": "HEAD_CS", "name": "李主管", "department_id": "CS", "role": "department_head", "email": "cs@example.com"},
        {"type": "staff", "id": "CS1", "name": "周客服", "department_id": "CS", "role": "customer_service", "email": "cs1@example.com", "supervisor_id": "HEAD_CS"},
        {"type": "staff", "id": "ACC1", "name": "吴会计", "department_id": "FIN", "role": "account_manager", "email": "acc1@example.com", "supervisor_id": "HEAD_FIN", "team_id": "FIN_T1"},
        {"type": "staff", "id": "CSA", "name": "郑助理", "department_id": "CS", "role": "cs_assistant", "email": "csa@example.com", "supervisor_id": "HEAD_CS"},
        {"type": "staff", "id": "CM", "name": "王经理", "department_id": "GMO", "role": "company_manager", "email": "cm@example.com"},
        {"type": "customer", "id": "K1", "name": "上海某某贸易有限公司", "phone": "13812345678", "account_manager_id": "ACC1"},
        {"type": "customer", "id": "K2", "name": "杭州某某科技有限公司", "phone": "13900001111", "account_manager_id": "ACC1"},
        {"type": "customer", "id": "K3", "name": "苏州某某物流有限公司", "phone": "13700002222", "account_manager_id": "ACC1"},
    ]


def complaint(cid: str, **overrides) -> dict:
    record = {"type": "complaint", "id": cid, "kind": "external", "category": "service", "channel": "phone",
              "filer_id": "CS1", "customer_id": "K1", "target_department_id": "FIN",
              "received_at": "2026-03-02T10:00:00+08:00", "summary": "账目错误"}
    record.update(overrides)
    return record


def event(eid: str, cid: str, stage: str | None, at: str, event_type: str = "stage_done", **extra) -> dict:
    record = {"type": "event", "id": eid, "complaint_id": cid, "event_type": event_type, "occurred_at": at}
    if stage:
        record["stage"] = stage
    record.update(extra)
    return record

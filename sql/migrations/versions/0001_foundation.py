"""Foundation: organisation, customers, complaints, the append-only event log, business calendar.

Why the shape (POLICY.md §1-§3, issue "Foundation"):
- `complaints` holds the facts a penalty depends on (loss, customer lost, bad attitude, ...); facts can be
  corrected later, and every correction leaves a row in `complaint_revisions`.
- `events` is append-only: stage completions (I1-I3, E1-E4), forwarding, decisions, revisits, each with
  the time it *happened* (`occurred_at`) and its local business date, so "was E2 of X done by T?" is
  one index probe on (complaint_id, event_type, stage, occurred_at).
- `business_days` carries a running working-day ordinal: "N WD after t" is an ordinal lookup.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
MONEY = sa.Numeric(14, 2)
ID = sa.String(40)

ROLES = (
    "general_manager", "company_manager", "gm_secretary", "department_head", "customer_service",
    "cs_assistant", "account_manager", "staff",
)
CATEGORIES = ("product_quality", "contract", "transport", "service", "other")
CHANNELS = ("written", "phone", "fax", "email", "visit", "other")
SEVERITIES = ("light", "medium", "severe")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"

    op.create_table(
        "departments",
        sa.Column("id", ID, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("name_en", sa.String(100)),
        # FK to staff added below (circular); deferred so a department and its manager load together.
        sa.Column("manager_id", ID),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.current_timestamp()),
    )
    op.create_table(
        "teams",
        sa.Column("id", ID, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("department_id", ID, sa.ForeignKey("departments.id"), nullable=False, index=True),
    )
    op.create_table(
        "staff",
        sa.Column("id", ID, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("email", sa.String(254)),
        sa.Column("department_id", ID, sa.ForeignKey("departments.id"), nullable=False, index=True),
        sa.Column("team_id", ID, sa.ForeignKey("teams.id")),
        sa.Column("supervisor_id", ID, sa.ForeignKey("staff.id")),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("language", sa.String(5), nullable=False, server_default="zh"),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.CheckConstraint(_in("role", ROLES), name="ck_staff_role"),
        sa.CheckConstraint("language IN ('zh', 'en')", name="ck_staff_language"),
    )
    op.create_index("ix_staff_role", "staff", ["role"])
    if pg:
        op.create_foreign_key(
            "fk_departments_manager", "departments", "staff", ["manager_id"], ["id"],
            deferrable=True, initially="DEFERRED",
        )
    else:
        with op.batch_alter_table("departments") as batch:
            batch.create_foreign_key(
                "fk_departments_manager", "staff", ["manager_id"], ["id"],
                deferrable=True, initially="DEFERRED",
            )

    op.create_table(
        "customers",
        sa.Column("id", ID, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(32)),
        sa.Column("account_manager_id", ID, sa.ForeignKey("staff.id"), index=True),
    )

    op.create_table(
        "complaints",
        sa.Column("id", ID, primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("summary", sa.Text, nullable=False, server_default=""),
        sa.Column("problem_code", sa.String(64)),  # "same problem" key for R1/R3
        sa.Column("filer_id", ID, sa.ForeignKey("staff.id"), nullable=False),
        # GM secretary (internal) or customer-service handler (external) who owns the process stages.
        sa.Column("handler_id", ID, sa.ForeignKey("staff.id")),
        sa.Column("customer_id", ID, sa.ForeignKey("customers.id")),
        sa.Column("target_department_id", ID, sa.ForeignKey("departments.id"), nullable=False),
        sa.Column("target_staff_id", ID, sa.ForeignKey("staff.id")),
        sa.Column("target_team_id", ID, sa.ForeignKey("teams.id")),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("received_date", sa.Date, nullable=False),  # local business date of received_at
        sa.Column("loss_amount", MONEY, nullable=False, server_default="0"),
        sa.Column("customer_lost", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("bad_attitude", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("delay_days", sa.Integer, nullable=False, server_default="0"),
        sa.Column("obstruction", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("obstruction_grave", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("anonymous", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("reply_letter_only", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("written", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("major", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("severity_raised", sa.String(10)),  # P2: the handler may only raise it
        sa.Column("handler_fine", MONEY),  # P3: "at least" fines take the handler's higher amount
        sa.Column("duplicate_of", ID, sa.ForeignKey("complaints.id")),
        sa.Column("second_round_of", ID, sa.ForeignKey("complaints.id")),
        sa.Column("upheld", sa.Boolean),  # NULL = not decided yet
        sa.Column("decided_at", TS),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.current_timestamp()),
        sa.CheckConstraint("kind IN ('internal', 'external')", name="ck_complaints_kind"),
        sa.CheckConstraint(_in("category", CATEGORIES), name="ck_complaints_category"),
        sa.CheckConstraint(_in("channel", CHANNELS), name="ck_complaints_channel"),
        sa.CheckConstraint("loss_amount >= 0", name="ck_complaints_loss"),
        sa.CheckConstraint("delay_days >= 0", name="ck_complaints_delay"),
        sa.CheckConstraint(
            "severity_raised IS NULL OR " + _in("severity_raised", SEVERITIES), name="ck_complaints_sev"
        ),
        sa.CheckConstraint("handler_fine IS NULL OR handler_fine >= 0", name="ck_complaints_fine"),
    )
    op.create_index("ix_complaints_received_date", "complaints", ["received_date"])
    op.create_index("ix_complaints_repeat", "complaints", ["target_department_id", "category", "received_at"])
    op.create_index("ix_complaints_problem", "complaints", ["problem_code", "received_at"])
    op.create_index("ix_complaints_customer", "complaints", ["customer_id", "problem_code", "received_at"])
    op.create_index("ix_complaints_second_round_of", "complaints", ["second_round_of"])
    op.create_index("ix_complaints_duplicate_of", "complaints", ["duplicate_of"])

    op.create_table(
        "complaint_revisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("complaint_id", ID, sa.ForeignKey("complaints.id"), nullable=False, index=True),
        sa.Column("changed_at", TS, nullable=False),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("old_values", sa.Text, nullable=False),  # JSON of the fields that changed
        sa.Column("new_values", sa.Text, nullable=False),
    )

    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_key", sa.String(120), nullable=False, unique=True),
        sa.Column("complaint_id", ID, sa.ForeignKey("complaints.id"), nullable=False),
        sa.Column("order_key", sa.String(120)),  # follow-up order this event completes, if any
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("stage", sa.String(8)),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("occurred_date", sa.Date, nullable=False),  # local business date of occurred_at
        sa.Column("actor_id", ID, sa.ForeignKey("staff.id")),
        sa.Column("outcome", sa.String(32)),
        sa.Column("method", sa.String(16)),
        sa.Column("signature", sa.Boolean),
        sa.Column("note", sa.Text),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
    )
    op.create_index("ix_events_asof", "events", ["complaint_id", "event_type", "stage", "occurred_at"])
    op.create_index("ix_events_day", "events", ["occurred_date", "event_type"])
    op.create_index("ix_events_order", "events", ["order_key", "occurred_at"])

    op.create_table(
        "business_days",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("working", sa.Boolean, nullable=False),
        # Number of working days on or before `day` since the first filled date.
        sa.Column("wd_ordinal", sa.Integer, nullable=False),
        sa.Column("holiday_name", sa.String(100)),
        sa.Column("source", sa.String(16), nullable=False),  # weekday | weekend | holiday | makeup | override
    )
    op.create_index("ix_business_days_ordinal", "business_days", ["wd_ordinal", "working"])
    op.create_table(
        "calendar_overrides",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("working", sa.Boolean, nullable=False),
        sa.Column("reason", sa.String(200)),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "calendar_meta",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("country", sa.String(8), nullable=False),
        sa.Column("subdivision", sa.String(16)),
        sa.Column("first_day", sa.Date, nullable=False),
        sa.Column("last_day", sa.Date, nullable=False),
        sa.Column("filled_at", TS, nullable=False),
    )

    op.create_table(
        "imports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("file_name", sa.String(500), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("accepted", sa.Integer, nullable=False),
        sa.Column("unchanged", sa.Integer, nullable=False),
        sa.Column("updated", sa.Integer, nullable=False),
        sa.Column("rejected", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "imports", "calendar_meta", "calendar_overrides", "business_days", "events",
        "complaint_revisions", "complaints", "customers",
    ):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("fk_departments_manager", "departments", type_="foreignkey")
    op.drop_table("staff")
    op.drop_table("teams")
    op.drop_table("departments")

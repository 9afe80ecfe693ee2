"""Orders, the append-only ledger, penalty proposals and day runs (POLICY.md §3, §4, L1).

- `orders`: every piece of work with a deadline (complaint stages now, follow-ups later), derived from
  the facts; `stop_at` = when it stopped accruing (done, or its complaint closed). Indexed by
  (stop_date, due_date) so a day's scan reads the orders open on that day, not history.
- `order_sync_queue`: complaints whose facts or events changed since their orders were derived.
- `ledger`: entries are only ever inserted. A correction is a reversal row (`reverses_id`, unique: an
  entry is reversed at most once) plus a new entry. On PostgreSQL a trigger refuses UPDATE and DELETE.
- `penalty_proposals` / `proposal_decisions`: P9 severe penalties and dismissal recommendations wait for
  the general manager; a decision is a row, never an edit.
- `day_runs`: one row per business date; upserting it first serializes two runs of the same date.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
MONEY = sa.Numeric(14, 2)
ID = sa.String(40)
KEY = sa.String(160)


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("order_key", KEY, primary_key=True),
        sa.Column("complaint_id", ID, sa.ForeignKey("complaints.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(24), nullable=False),  # stage | assignment | revisit | second_round
        sa.Column("rule", sa.String(8), nullable=False),  # I1..I3, E1..E4, F1, F2, F4, S1
        sa.Column("sequence", sa.Integer, nullable=False, server_default="0"),
        # Who pays when it is late: a fixed person (follow-ups) or a role resolved when charging
        # (department_head of the target department, handler of the complaint), so a new manager
        # takes over open orders without re-deriving them.
        sa.Column("owner_id", ID, sa.ForeignKey("staff.id")),
        sa.Column("owner_role", sa.String(20)),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("done_at", TS),
        sa.Column("stop_at", TS),  # min(done_at, complaint closed_at): accrual ends here
        sa.Column("stop_date", sa.Date, nullable=False),  # local date of stop_at; 9999-12-31 while open
        sa.Column("policy_version", sa.String(40), nullable=False),
        sa.Column("source_hash", sa.String(64), nullable=False),
        sa.CheckConstraint("due_at >= started_at", name="ck_orders_due_after_start"),
    )
    op.create_index("ix_orders_open_on_day", "orders", ["stop_date", "due_date"])
    op.create_index("ix_orders_due_date", "orders", ["due_date"])
    op.create_index("ix_orders_owner", "orders", ["owner_id", "due_date"])

    op.create_table(
        "order_sync_queue",
        sa.Column("complaint_id", ID, sa.ForeignKey("complaints.id"), primary_key=True),
        sa.Column("queued_at", TS, nullable=False),
    )

    op.create_table(
        "ledger",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("entry_key", sa.String(240), nullable=False, unique=True),  # idempotency key
        sa.Column("entry_type", sa.String(12), nullable=False),  # charge | cancellation | reversal
        sa.Column("reverses_id", sa.Integer, sa.ForeignKey("ledger.id"), unique=True),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("rule", sa.String(8), nullable=False),  # O1, P1, P4, P5, P6, P10
        sa.Column("kind", sa.String(20), nullable=False),  # fine | loss_recovery | dismissal
        sa.Column("complaint_id", ID, sa.ForeignKey("complaints.id"), nullable=False),
        sa.Column("order_key", KEY),
        sa.Column("staff_id", ID, sa.ForeignKey("staff.id")),
        sa.Column("team_id", ID, sa.ForeignKey("teams.id")),
        sa.Column("fine_amount", MONEY, nullable=False),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("multiplier", sa.Integer, nullable=False),
        sa.Column("policy_version", sa.String(40), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.Column("proposal_key", KEY),
        sa.Column("posted_at", TS, nullable=False),
        sa.CheckConstraint("(staff_id IS NULL) <> (team_id IS NULL)", name="ck_ledger_one_party"),
        sa.CheckConstraint("entry_type IN ('charge', 'cancellation', 'reversal')", name="ck_ledger_entry_type"),
        sa.CheckConstraint("(entry_type = 'reversal') = (reverses_id IS NOT NULL)", name="ck_ledger_reversal_link"),
    )
    op.create_index("ix_ledger_date", "ledger", ["business_date", "rule"])
    op.create_index("ix_ledger_staff", "ledger", ["staff_id", "business_date"])
    op.create_index("ix_ledger_team", "ledger", ["team_id", "business_date"])
    op.create_index("ix_ledger_complaint", "ledger", ["complaint_id"])

    op.create_table(
        "penalty_proposals",
        sa.Column("proposal_key", KEY, primary_key=True),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("rule", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("complaint_id", ID, sa.ForeignKey("complaints.id"), nullable=False, index=True),
        sa.Column("staff_id", ID, sa.ForeignKey("staff.id")),
        sa.Column("team_id", ID, sa.ForeignKey("teams.id")),
        sa.Column("fine_amount", MONEY, nullable=False),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("multiplier", sa.Integer, nullable=False),
        sa.Column("policy_version", sa.String(40), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_penalty_proposals_date", "penalty_proposals", ["business_date"])
    op.create_table(
        "proposal_decisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("proposal_key", KEY, sa.ForeignKey("penalty_proposals.proposal_key"), nullable=False, unique=True),
        sa.Column("decision", sa.String(10), nullable=False),  # approved | rejected
        sa.Column("decided_by", ID, sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("decided_at", TS, nullable=False),
        sa.Column("reason", sa.Text),
        sa.CheckConstraint("decision IN ('approved', 'rejected')", name="ck_proposal_decision"),
    )

    op.create_table(
        "day_runs",
        sa.Column("business_date", sa.Date, primary_key=True),
        sa.Column("runs", sa.Integer, nullable=False),
        sa.Column("last_started_at", TS, nullable=False),
        sa.Column("last_summary", sa.Text, nullable=False, server_default=""),
    )

    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'ledger is append-only: % refused (post a reversal entry instead)', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END $$;
        """)
        op.execute("""
            CREATE TRIGGER ledger_no_update_delete BEFORE UPDATE OR DELETE ON ledger
            FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
        """)
        op.execute("""
            CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger
            FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
        """)
    else:
        for op_name in ("UPDATE", "DELETE"):
            op.execute(f"""
                CREATE TRIGGER ledger_no_{op_name.lower()} BEFORE {op_name} ON ledger
                BEGIN SELECT RAISE(ABORT, 'ledger is append-only: {op_name} refused (post a reversal entry instead)'); END;
            """)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ledger_no_update_delete ON ledger")
        op.execute("DROP TRIGGER IF EXISTS ledger_no_truncate ON ledger")
        op.execute("DROP FUNCTION IF EXISTS ledger_append_only()")
    for table in ("day_runs", "proposal_decisions", "penalty_proposals", "ledger", "order_sync_queue", "orders"):
        op.drop_table(table)

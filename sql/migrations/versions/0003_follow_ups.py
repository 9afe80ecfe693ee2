"""Follow-ups (POLICY.md §5-§7): generated complaints and alerts.

- `complaints.origin`: `intake` for recorded complaints; `F5` (E4 missed) and `S2` (second round)
  for complaints the system generates itself, with `origin_key` naming what triggered them.
- `alerts`: A1/R3 — a major or collective complaint, raised once (unique key) for the mail issue to send.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("origin", sa.String(8), nullable=False, server_default="intake"))
        batch.add_column(sa.Column("origin_key", sa.String(160)))
    # A complaint with deadlines beyond the filled calendar waits here until the calendar's last day changes.
    with op.batch_alter_table("order_sync_queue") as batch:
        batch.add_column(sa.Column("deferred_until", sa.Date))
    op.create_index("ix_complaints_origin_key", "complaints", ["origin_key"])
    op.create_index("ix_complaints_decided_at", "complaints", ["decided_at"])
    op.create_index("ix_proposal_decisions_decided_at", "proposal_decisions", ["decided_at"])
    op.create_index("ix_orders_rule_open", "orders", ["rule", "stop_date", "due_date"])
    # Fingerprint of the policy book the stored orders were derived with: another book -> derive again.
    op.create_table(
        "derivation_state",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "alerts",
        sa.Column("alert_key", sa.String(160), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),  # major | collective
        sa.Column("complaint_id", sa.String(40), sa.ForeignKey("complaints.id"), nullable=False, index=True),
        sa.Column("business_date", sa.Date, nullable=False, index=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),  # when it became known (event time)
        sa.Column("details", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('major', 'collective')", name="ck_alerts_kind"),
    )


def downgrade() -> None:
    op.drop_table("alerts")
    with op.batch_alter_table("order_sync_queue") as batch:
        batch.drop_column("deferred_until")
    op.drop_table("derivation_state")
    op.drop_index("ix_orders_rule_open", "orders")
    op.drop_index("ix_complaints_origin_key", "complaints")
    op.drop_index("ix_complaints_decided_at", "complaints")
    op.drop_index("ix_proposal_decisions_decided_at", "proposal_decisions")
    with op.batch_alter_table("complaints") as batch:
        batch.drop_column("origin_key")
        batch.drop_column("origin")

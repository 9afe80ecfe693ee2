"""Mail: the transactional outbox (POLICY.md §8 D1-D4, A1; the digests issue).

Why the shape:
- `mail_outbox`: one row per (recipient, kind, period), unique, written in the same transaction as the
  run that produced it, already rendered (subject, plain text, HTML). Running a date again finds the row
  and queues nothing. `message_id` is fixed when the row is written, so every attempt carries the same
  Message-ID. `recipient_id` is a staff id (reports D1-D4, alerts A1), or `ops:<address>` for the
  operations team's notices (kind OPS, period = the notice's key), who are not staff: no foreign key. States:
    pending  -> sending (claimed by one sender) -> sent | failed | unknown | rejected
    failed   -> sending again once `next_attempt_at` has passed (backoff); NULL = no more attempts
    unknown  the connection dropped after the message data went out: never resent automatically
    rejected a permanent refusal (5xx, or a header that would have allowed injection)
    archived a backfill's message: kept, never sent unless released explicitly
  `sending` rows whose sender died are moved to `unknown` by the next pass (at most once, never twice).
- `mail_parts`: the inline images (charts) of a message, by Content-ID.
- `mail_attempts`: one row per delivery attempt with the server's code and text: what ops read.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
KINDS = ("D1", "D2", "D3", "D4", "A1", "OPS")
STATES = ("pending", "sending", "sent", "failed", "unknown", "rejected", "archived")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("recipient_id", sa.String(260), nullable=False),  # staff id, or ops:<address>
        sa.Column("kind", sa.String(4), nullable=False),
        # 2026-03-04 | 2026-02 | 2025-12..2026-05 | an alert key | an ops notice's key
        sa.Column("period", sa.String(255), nullable=False),
        sa.Column("business_date", sa.Date, nullable=False),  # the run that queued it
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("recipient_email", sa.String(254), nullable=False),
        sa.Column("recipient_name", sa.String(100), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body_text", sa.Text, nullable=False),
        sa.Column("body_html", sa.Text, nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False, unique=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", TS),
        sa.Column("claim_token", sa.String(36)),
        sa.Column("claimed_at", TS),
        sa.Column("sent_at", TS),
        sa.Column("last_code", sa.Integer),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("recipient_id", "kind", "period", name="uq_mail_outbox_recipient_kind_period"),
        sa.CheckConstraint(_in("kind", KINDS), name="ck_mail_outbox_kind"),
        sa.CheckConstraint(_in("state", STATES), name="ck_mail_outbox_state"),
        sa.CheckConstraint("attempts >= 0", name="ck_mail_outbox_attempts"),
    )
    # The sender's scan: due rows only (pending/failed with next_attempt_at <= now).
    op.create_index("ix_mail_outbox_due", "mail_outbox", ["state", "next_attempt_at"])
    op.create_index("ix_mail_outbox_day", "mail_outbox", ["business_date", "kind"])
    op.create_index("ix_mail_outbox_claim", "mail_outbox", ["claim_token"])

    op.create_table(
        "mail_parts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("outbox_id", sa.Integer, sa.ForeignKey("mail_outbox.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("content_id", sa.String(120), nullable=False),
        sa.Column("filename", sa.String(120), nullable=False),
        sa.Column("mime_type", sa.String(60), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.UniqueConstraint("outbox_id", "content_id", name="uq_mail_parts_cid"),
    )

    op.create_table(
        "mail_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("outbox_id", sa.Integer, sa.ForeignKey("mail_outbox.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),  # sent | failed | unknown | rejected
        sa.Column("smtp_code", sa.Integer),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.Column("transport", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("mail_attempts")
    op.drop_table("mail_parts")
    op.drop_index("ix_mail_outbox_claim", "mail_outbox")
    op.drop_index("ix_mail_outbox_day", "mail_outbox")
    op.drop_index("ix_mail_outbox_due", "mail_outbox")
    op.drop_table("mail_outbox")

"""`order_owners`: who pays when an order is late — one definition for every query that needs it.

A follow-up order names its owner; a stage order names a role, resolved from the data as it is now:
the target department's manager, or the complaint's handler (else the first active GM secretary).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE VIEW order_owners AS
        SELECT o.order_key,
               COALESCE(o.owner_id,
                        CASE o.owner_role
                            WHEN 'department_head' THEN d.manager_id
                            WHEN 'handler' THEN COALESCE(c.handler_id,
                                (SELECT MIN(s.id) FROM staff s WHERE s.role = 'gm_secretary' AND s.active = TRUE))
                        END) AS owner_id
        FROM orders o
        JOIN complaints c ON c.id = o.complaint_id
        JOIN departments d ON d.id = c.target_department_id
    """)


def downgrade() -> None:
    op.execute("DROP VIEW order_owners")

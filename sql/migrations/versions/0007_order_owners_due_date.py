"""`order_owners` also shows each order's due date, so that a query over a range of due dates can bound
the view with it: joined by order_key alone, PostgreSQL read the view's whole `orders` table (a seq
scan of every order of history for the monthly reports, bench/); with `w.due_date` in the join it reads
that range through ix_orders_due_date. The owner is defined as in 0005, unchanged.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

OWNER = """
        SELECT o.order_key,
               COALESCE(o.owner_id,
                        CASE o.owner_role
                            WHEN 'department_head' THEN d.manager_id
                            WHEN 'handler' THEN COALESCE(c.handler_id,
                                (SELECT MIN(s.id) FROM staff s WHERE s.role = 'gm_secretary' AND s.active = TRUE))
                        END) AS owner_id{extra}
        FROM orders o
        JOIN complaints c ON c.id = o.complaint_id
        JOIN departments d ON d.id = c.target_department_id
"""


def _replace(extra: str) -> None:
    # PostgreSQL keeps the view (and its grants) with CREATE OR REPLACE, which may only add columns at
    # the end; SQLite has no OR REPLACE for views.
    if op.get_bind().dialect.name == "postgresql":
        if not extra:  # dropping a column needs a new view; the grants of 0006 follow by default privileges
            op.execute("DROP VIEW order_owners")
            op.execute("CREATE VIEW order_owners AS" + OWNER.format(extra=extra))
            return
        op.execute("CREATE OR REPLACE VIEW order_owners AS" + OWNER.format(extra=extra))
    else:
        op.execute("DROP VIEW order_owners")
        op.execute("CREATE VIEW order_owners AS" + OWNER.format(extra=extra))


def upgrade() -> None:
    _replace(",\n               o.due_date")


def downgrade() -> None:
    _replace("")

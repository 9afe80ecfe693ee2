"""Least privilege on PostgreSQL: an application role and a read-only reporting role (issue 8, L1).

- `complaint_ops_app` is what the DAG tasks connect as (Connection `complaints_db`): SELECT, INSERT,
  UPDATE, DELETE on the tables the runs maintain, but only SELECT and INSERT on the append-only ones -
  the ledger (L1), the event log, complaint revisions, approval decisions, delivery attempts - so the
  database itself refuses to edit or delete them, whatever the code asks; USAGE on the sequences;
  SELECT only on alembic_version (it checks the schema, never changes it); no DDL, owner of nothing.
- `complaint_ops_reporting` is what read-only tasks connect as (Connection `complaints_db_reporting`):
  SELECT on every table but customers' phone numbers (a column grant), nothing else.

Both are LOGIN roles without a password, created here when missing (which needs CREATEROLE; otherwise
a DBA creates them first, see README "Database roles"). A password is set outside migrations (`ALTER
ROLE ... PASSWORD`; docker-compose does it in scripts/postgres-init.sh). Roles belong to the whole
cluster, so creating them is idempotent and safe when another database's migration creates them at
the same moment (duplicate_object / unique_violation are caught).

Later migrations: ALTER DEFAULT PRIVILEGES gives the app SELECT/INSERT/UPDATE/DELETE and reporting
SELECT on every table the migrating role creates from now on, so new tables need no grants - but a new
append-only table must `REVOKE UPDATE, DELETE ... FROM complaint_ops_app` in its own migration (see
APPEND_ONLY). Migrations always run as the owner, never as these roles.

SQLite has no roles: nothing to do. Downgrade revokes what this migration granted in this database;
the roles stay (other databases of the cluster may use them).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from alembic import op
from sqlalchemy import text

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

APP = "complaint_ops_app"
REPORTING = "complaint_ops_reporting"
# Rows that are facts once written (L1: "entries are never edited or deleted"; the event log and the
# decisions are history): the application may add to them, never change them.
APPEND_ONLY = ("ledger", "events", "complaint_revisions", "proposal_decisions", "mail_attempts")
# What the reporting role may not read: a customer's phone number (PII; masked in every report anyway).
HIDDEN_FROM_REPORTING = {"customers": ("phone",)}


def create_role_sql(name: str) -> str:
    """A DO block creating LOGIN role `name` unless it exists; safe against a concurrent creator."""
    return f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{name}') THEN
                BEGIN
                    CREATE ROLE "{name}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
                EXCEPTION
                    WHEN duplicate_object OR unique_violation THEN
                        NULL;  -- another migration created it meanwhile
                    WHEN insufficient_privilege THEN
                        RAISE EXCEPTION 'role {name} does not exist and % may not create roles', current_user
                            USING HINT = 'create it first as a superuser (README, Database roles), or grant CREATEROLE',
                                  ERRCODE = 'insufficient_privilege';
                END;
            END IF;
        END $$;
    """


def _try(sql: str) -> str:
    """A statement that only the schema's owner may run: skipped with a notice when we are not it."""
    return f"""
        DO $$
        BEGIN
            EXECUTE $sql${sql}$sql$;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'skipped (not the owner): %', $sql${sql}$sql$;
        END $$;
    """


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = '"' + bind.execute(text("SELECT current_schema()")).scalar().replace('"', '""') + '"'
    for role in (APP, REPORTING):
        op.execute(create_role_sql(role))
    op.execute(_try(f"GRANT USAGE ON SCHEMA {schema} TO {APP}, {REPORTING}"))
    op.execute(_try(f"REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC"))  # PostgreSQL 15's default, everywhere

    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {APP}")
    op.execute(f"REVOKE UPDATE, DELETE ON {', '.join(APPEND_ONLY)} FROM {APP}")
    op.execute(f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {APP}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {APP}")

    op.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {REPORTING}")
    for table, hidden in HIDDEN_FROM_REPORTING.items():
        columns = [r[0] for r in bind.execute(text(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = :t ORDER BY ordinal_position"), {"t": table}) if r[0] not in hidden]
        op.execute(f"REVOKE SELECT ON {table} FROM {REPORTING}")
        op.execute(f"GRANT SELECT ({', '.join(columns)}) ON {table} TO {REPORTING}")

    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {APP}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT ON TABLES TO {REPORTING}")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = '"' + bind.execute(text("SELECT current_schema()")).scalar().replace('"', '""') + '"'
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} REVOKE ALL ON TABLES FROM {APP}, {REPORTING}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} REVOKE ALL ON SEQUENCES FROM {APP}")
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {APP}, {REPORTING}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {APP}")
    op.execute(_try(f"REVOKE USAGE ON SCHEMA {schema} FROM {APP}, {REPORTING}"))

"""plan history, backfilled with one row per existing account

Revision ID: 0004
Revises: 0003

A data backfill: applied twice, it would leave two rows per account. FLEET_REVISION_DELAY_SECONDS makes it
slow, so a test can kill the migrator while it runs.
"""
import os

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
        CREATE TABLE plan_history (
            account_id int NOT NULL REFERENCES accounts (id),
            plan account_plan NOT NULL,
            since timestamptz NOT NULL
        )""")
    op.execute("INSERT INTO plan_history (account_id, plan, since) SELECT id, plan, created_at FROM accounts")
    delay = float(os.environ.get("FLEET_REVISION_DELAY_SECONDS") or 0)
    if delay > 0:
        op.execute("SELECT pg_sleep({:f})".format(delay))
    op.execute("INSERT INTO migration_log (revision) VALUES ('0004')")


def downgrade():
    op.execute("DROP TABLE plan_history")

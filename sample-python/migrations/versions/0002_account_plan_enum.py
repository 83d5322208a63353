"""the account_plan enum type, and a plan for every account

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE TYPE account_plan AS ENUM ('free', 'pro', 'team')")
    op.execute("ALTER TABLE accounts ADD COLUMN plan account_plan NOT NULL DEFAULT 'free'")
    op.execute("INSERT INTO migration_log (revision) VALUES ('0002')")


def downgrade():
    op.execute("ALTER TABLE accounts DROP COLUMN plan")
    op.execute("DROP TYPE account_plan")

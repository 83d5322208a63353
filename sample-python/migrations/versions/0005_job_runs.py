"""job runs, and when each account was welcomed

Revision ID: 0005
Revises: 0004
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
        CREATE TABLE job_runs (
            id bigserial PRIMARY KEY,
            task text NOT NULL,
            worker text NOT NULL,
            done_at timestamptz NOT NULL DEFAULT now()
        )""")
    op.execute("ALTER TABLE accounts ADD COLUMN welcomed_at timestamptz")
    op.execute("INSERT INTO migration_log (revision) VALUES ('0005')")


def downgrade():
    op.execute("ALTER TABLE accounts DROP COLUMN welcomed_at")
    op.execute("DROP TABLE job_runs")

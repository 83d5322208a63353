"""index job runs by task and time

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("job_runs_task_done_at_idx", "job_runs", ["task", "done_at"])
    op.execute("INSERT INTO migration_log (revision) VALUES ('0006')")


def downgrade():
    op.drop_index("job_runs_task_done_at_idx", table_name="job_runs")

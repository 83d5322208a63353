"""create accounts, and the log in which every revision records that it ran

Revision ID: 0001
"""
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
        CREATE TABLE accounts (
            id serial PRIMARY KEY,
            email text NOT NULL UNIQUE,
            created_at timestamptz NOT NULL DEFAULT now()
        )""")
    # No unique key on purpose: a revision applied twice would show as two rows, not as an error.
    op.execute("""
        CREATE TABLE migration_log (
            revision text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            backend_pid int NOT NULL DEFAULT pg_backend_pid()
        )""")
    op.execute("INSERT INTO migration_log (revision) VALUES ('0001')")


def downgrade():
    op.execute("DROP TABLE migration_log")
    op.execute("DROP TABLE accounts")

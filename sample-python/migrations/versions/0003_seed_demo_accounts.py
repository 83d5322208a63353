"""seed the demo accounts

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
        INSERT INTO accounts (email, plan, created_at) VALUES
            ('ada@example.com', 'pro', '2024-01-02T09:00:00Z'),
            ('grace@example.com', 'team', '2024-02-03T10:00:00Z'),
            ('linus@example.com', 'free', '2024-03-04T11:00:00Z')""")
    op.execute("INSERT INTO migration_log (revision) VALUES ('0003')")


def downgrade():
    op.execute("DELETE FROM accounts WHERE email IN ('ada@example.com', 'grace@example.com', 'linus@example.com')")

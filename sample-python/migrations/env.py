"""Alembic's environment for the fleet: online migrations only, one transaction per revision, so a run
cut off mid-way resumes from the last revision it committed (alembic_version)."""

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    # The alembic command's logging; a process that upgrades in-process keeps its own.
    fileConfig(config.config_file_name)

# The usual do-it-yourself fix for the start-up race, for comparison: every process queues on one
# session-level advisory lock before it migrates. It keeps working behind Muster, unchanged.
DIY_LOCK_KEY = 727274


def run_migrations_online():
    engine = create_engine(os.environ["DATABASE_URL"], poolclass=NullPool)
    with engine.connect() as connection:
        if os.environ.get("FLEET_ADVISORY_LOCK") == "1":
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": DIY_LOCK_KEY})
        context.configure(connection=connection, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("the fleet's migrations run online only")
run_migrations_online()

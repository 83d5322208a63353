"""Alembic for the fleet: the head revision, the upgrade command, and the naive upgrade at start-up."""

import os
import sys

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from .settings import ROOT

ALEMBIC_INI = os.path.join(ROOT, "alembic.ini")


def head():
    """The revision this code expects, read from the scripts (no database): what ``alembic heads`` prints."""
    return ScriptDirectory.from_config(Config(ALEMBIC_INI)).get_current_head()


def upgrade_command():
    """``alembic upgrade head`` with this interpreter, as the elected instance runs it."""
    return [sys.executable, "-m", "alembic", "-c", ALEMBIC_INI, "upgrade", "head"]


def muster_options():
    """What every process passes to Muster: offer to run the upgrade; the code expects the head revision."""
    return {"migrate": upgrade_command(), "version_from": head}


def say(line):
    """One line in one write: gunicorn's workers share the master's standard output, which is unbuffered here
    (PYTHONUNBUFFERED), and print() writes the text and its newline apart, so two workers' lines would mix."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def upgrade_at_start(role):
    """The naive start-up: ``alembic upgrade head`` in this process, racing every other process."""
    config = Config(ALEMBIC_INI)
    config.attributes["configure_logger"] = False
    try:
        command.upgrade(config, "head")
    except Exception as e:
        say("upgrade FAILED {}: {}: {}".format(role, type(e).__name__, str(e).splitlines()[0]))
        raise
    say("upgrade ok {}".format(role))

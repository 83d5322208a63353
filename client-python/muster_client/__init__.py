"""Make a Python service wait until the Muster orchestrator reports its database schema migrated.

Wait before anything touches the database::

    import muster_client

    ready = muster_client.wait_ready()   # MUSTER_URL, MUSTER_SERVICE=app, MUSTER_SCHEMA, ...
    print(ready)                         # schema public at version 4f2a1b9c0d1e ready after 1.2 s (from ...)

Where the orchestrator delegates the schema's migrations to its services (``MUSTER_RUNNER=delegate``),
offer to run them; exactly one instance of the fleet is elected and runs the command, the others wait::

    muster_client.wait_ready(migrate=["alembic", "upgrade", "head"], version_from=["alembic", "heads"])

Every failure is a :class:`MusterError` whose ``exit_code`` is the contract's: 2 :class:`ArrivalRejected`
(bad configuration, or refused), 3 :class:`MigrationFailed`, 4 :class:`WaitTimeout`, 5
:class:`OrchestratorUnreachable`. Ready-made hooks for gunicorn and Celery are in
:mod:`muster_client.hooks`; ``python -m muster_client wait -- COMMAND`` is ``muster-wait`` in Python.
Standard library only.
"""

from __future__ import annotations

__version__ = "0.1.0.dev0"

import dataclasses
import sys
import time
from typing import Callable, Mapping, Optional

from ._config import Settings
from ._errors import ArrivalRejected, MigrationFailed, MusterError, OrchestratorUnreachable, WaitTimeout
from ._events import Event
from ._run import Migrate, VersionFrom, read_version
from ._wait import ArrivalWait, Ready

__all__ = ["wait_ready", "Ready", "Event", "MusterError", "ArrivalRejected", "MigrationFailed", "WaitTimeout",
           "OrchestratorUnreachable"]


def wait_ready(*, url: Optional[str] = None, service: Optional[str] = None, instance: Optional[str] = None,
               schema: Optional[str] = None, required_version: Optional[str] = None,
               timeout: Optional[float] = None, token: Optional[str] = None, deploy: Optional[str] = None,
               migrate: Optional[Migrate] = None, version_from: Optional[VersionFrom] = None,
               on_event: Optional[Callable[[Event], None]] = None, output=None,
               idle_timeout: Optional[float] = None, environ: Optional[Mapping[str, str]] = None) -> Ready:
    """Announces this instance's arrival and blocks until its schema is ready.

    Each setting left ``None`` comes from its variable in ``environ`` (default ``os.environ``): ``MUSTER_URL``
    (several, comma-separated, for fail-over; default ``http://localhost:8080``), ``MUSTER_SERVICE``
    (required), ``MUSTER_INSTANCE`` (default host name and PID), ``MUSTER_SCHEMA`` (``public``),
    ``MUSTER_REQUIRED_VERSION``, ``MUSTER_TIMEOUT`` (seconds, default 600, reconnects and the migration
    included), ``MUSTER_TOKEN`` or ``MUSTER_TOKEN_FILE``, ``MUSTER_DEPLOY``.

    :param migrate: offer to migrate the schema when the orchestrator delegates it: a command (a list of
        arguments, or a string for ``/bin/sh -c``) or a callable. If this instance is elected, it runs it
        while heartbeating the run, then reports ``done`` — with the callable's return value as the version,
        or for a command the version ``version_from`` reads — or ``failed`` with the exit code and the last
        lines of output. A command is terminated when the lease is revoked or this process dies.
    :param version_from: a command or callable that gives the version the code expects, such as
        ``["alembic", "heads"]`` (its first word); it becomes the required version (in place of
        ``MUSTER_REQUIRED_VERSION``; with ``required_version`` too it is refused), and is read again after a
        successful migration command for the version reported.
    :param on_event: called with every :class:`Event` of the wait, on the waiting thread.
    :param output: where a migration command's output goes, each line prefixed (default ``sys.stderr``).
    :param idle_timeout: seconds a stream may stay silent before the wait reconnects (default 30; the
        orchestrator sends a comment every 10 s).
    :returns: the :class:`Ready` schema
    :raises ArrivalRejected: bad configuration (before anything is sent) or a 4xx answer; exit code 2. A
        ``409 version_skew`` is final after 30 s of such answers from every URL (a roll-out of the
        orchestrator may end it), or at the timeout.
    :raises MigrationFailed: the schema's migration failed; exit code 3
    :raises WaitTimeout: not ready in time, or the orchestrator gave up on this instance; exit code 4
    :raises OrchestratorUnreachable: no orchestrator answered in time; exit code 5
    """
    started = time.monotonic()
    if required_version is not None and version_from is not None:
        raise ArrivalRejected("required_version and version_from both name the required version: use one",
                              code="invalid_configuration")
    settings = Settings.resolve(environ, url=url, service=service, instance=instance, schema=schema,
                                required_version=required_version, timeout=timeout, token=token,
                                deploy=deploy, idle_timeout=idle_timeout)
    if migrate is not None and not (callable(migrate) or isinstance(migrate, (str, list, tuple))):
        raise ArrivalRejected("migrate must be a command (a string or a list of arguments) or a callable, was "
                              "{!r}".format(migrate), code="invalid_configuration")
    if version_from is not None and not (callable(version_from) or isinstance(version_from, (str, list, tuple))):
        raise ArrivalRejected("version_from must be a command (a string or a list of arguments) or a callable, "
                              "was {!r}".format(version_from), code="invalid_configuration")
    if version_from is not None:  # an argument: it wins over MUSTER_REQUIRED_VERSION
        settings = dataclasses.replace(settings, required_version=read_version(version_from, settings.timeout))
    return ArrivalWait(settings, migrate, version_from, on_event, output if output is not None else sys.stderr,
                       started).wait()

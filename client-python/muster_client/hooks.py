"""Ready-made waits for gunicorn and Celery: the process waits (or migrates, if elected) before it serves.

gunicorn — in the config file (``gunicorn -c gunicorn.conf.py app:application``)::

    from muster_client import hooks
    on_starting = hooks.gunicorn_on_starting(migrate=["alembic", "upgrade", "head"],
                                             version_from=["alembic", "heads"])

``on_starting`` runs once, in the master, before it binds the socket and forks the workers: the workers
never race, and nothing listens until the schema is ready. (With ``preload_app`` the application is
imported *before* ``on_starting``; if importing it touches the database, call ``wait_ready`` at the top of
the config file instead.)

Celery — in the module that creates the app::

    app = Celery("fleet", broker=...)
    hooks.connect_celery(migrate=["alembic", "upgrade", "head"], version_from=["alembic", "heads"])

connects ``worker_init`` (sent in the worker's main process before the pool starts and the broker is
consumed) and ``beat_init`` (sent when beat's service starts, before the first tick). A beat embedded in a
worker (``-B``) waits no second time.

On failure the process prints the reason and exits with the contract's code (2, 3, 4 or 5): the hooks raise
``SystemExit``, which neither gunicorn nor Celery's signal dispatch (which logs and swallows an
``Exception``) holds back. Each keyword is passed to :func:`muster_client.wait_ready`.
"""

from __future__ import annotations

import sys
from typing import Optional

from . import MusterError, Ready, _log, wait_ready

_ready: Optional[Ready] = None  # this process (or the one it was forked from) has waited


def wait_or_exit(**options) -> Ready:
    """``wait_ready(**options)`` once per process; on failure, print why and exit with its code."""
    global _ready
    if _ready is not None:
        return _ready
    _log.to_stderr()
    log = _log.LOG
    try:
        ready = wait_ready(**options)
    except MusterError as e:
        log.error("%s", e)
        sys.exit(e.exit_code)
    log.info("%s", ready)
    _ready = ready
    return ready


def gunicorn_on_starting(**options):
    """A gunicorn ``on_starting(server)`` hook that waits with these ``wait_ready`` options."""

    def on_starting(server):
        wait_or_exit(**options)

    return on_starting


def connect_celery(worker: bool = True, beat: bool = True, **options) -> None:
    """Makes Celery's worker (``worker_init``) and beat (``beat_init``) wait with these ``wait_ready``
    options. Call it where the Celery app is created."""
    from celery import signals

    def receiver(sender=None, **kwargs):
        wait_or_exit(**options)

    # weak=False: the receiver is a closure nobody else holds, and a weak reference would drop it.
    if worker:
        signals.worker_init.connect(receiver, weak=False, dispatch_uid="muster_client.worker_init")
    if beat:
        signals.beat_init.connect(receiver, weak=False, dispatch_uid="muster_client.beat_init")


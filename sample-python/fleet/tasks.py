"""The Celery app: the worker runs the tasks, beat enqueues ``tick`` every second."""

import logging
import socket

from celery import Celery, signals

from . import db, migrations, settings

app = Celery("fleet", broker=settings.BROKER_URL)
app.conf.update(
    beat_schedule={"tick": {"task": "fleet.tasks.tick", "schedule": 1.0}},
    task_ignore_result=True,
    worker_hijack_root_logger=False,
)
log = logging.getLogger("fleet")

if settings.MODE == "muster":
    from muster_client import hooks

    hooks.connect_celery(**migrations.muster_options())
else:
    signals.worker_init.connect(lambda **_: migrations.upgrade_at_start("worker"), weak=False)
    signals.beat_init.connect(lambda **_: migrations.upgrade_at_start("beat"), weak=False)


@signals.worker_ready.connect
def _worker_started(**_):
    print("started: worker", flush=True)


@signals.beat_init.connect
def _beat_started(**_):
    print("started: beat", flush=True)


@app.task
def tick():
    with db.transaction() as cursor:
        cursor.execute("INSERT INTO job_runs (task, worker) VALUES ('tick', %s) RETURNING id", (socket.gethostname(),))
        run = cursor.fetchone()[0]
    log.warning("done tick %s", run)


@app.task
def welcome(account_id):
    with db.transaction() as cursor:
        cursor.execute("UPDATE accounts SET welcomed_at = now() WHERE id = %s RETURNING email", (account_id,))
        email = cursor.fetchone()[0]
        cursor.execute("INSERT INTO job_runs (task, worker) VALUES ('welcome', %s)", (socket.gethostname(),))
    log.warning("done welcome %s", email)

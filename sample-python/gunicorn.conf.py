"""gunicorn for the fleet's web app: ``python3 -m gunicorn -c gunicorn.conf.py fleet.web:application``."""

import os

from fleet import migrations, settings

bind = os.environ.get("FLEET_WEB_BIND", "127.0.0.1:8000")
workers = 3

if settings.MODE == "muster":
    from muster_client import hooks

    # Once, in the master, before the socket is bound and the workers fork: the workers never race.
    on_starting = hooks.gunicorn_on_starting(**migrations.muster_options())


def post_worker_init(worker):
    migrations.say("started: web worker {}".format(os.getpid()))

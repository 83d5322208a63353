"""The digest: every second, a line of what the fleet has done. Started behind Muster with
``python -m muster_client wait --migrate-with ... -- python3 -m fleet.digest``."""

import signal
import sys
import threading

from . import db, migrations, settings

stop = threading.Event()


def main():
    if settings.MODE == "naive":
        migrations.upgrade_at_start("digest")
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("started: digest", flush=True)
    while not stop.wait(1.0):
        with db.transaction() as cursor:
            cursor.execute("SELECT (SELECT count(*) FROM accounts), (SELECT count(*) FROM job_runs)")
            accounts, jobs = cursor.fetchone()
        print("digest: {} accounts, {} jobs done".format(accounts, jobs), flush=True)
    print("digest stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())

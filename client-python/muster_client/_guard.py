"""Runs a migration command so that it stops when the instance that started it stops, however it stops.

    python _guard.py FD COMMAND [ARG]...

The elected instance starts this script with the read end of a pipe whose write end only it holds, and
never writes to it. When that end closes — the instance closed it because its lease was revoked, or the
instance died, even by SIGKILL — the read here returns, and the command's whole process group is
terminated (SIGTERM, then SIGKILL after a grace period). So no migration outlives its lease unseen.
The exit code is the command's, or 128 + the signal that ended it. Standard library only, and no import of
the package: it runs as a script, with whatever interpreter the instance runs on.
"""

import os
import signal
import subprocess
import sys
import threading

GRACE_SECONDS = 10.0


def main(argv):
    if len(argv) < 2 or not argv[0].isdigit():
        sys.stderr.write("usage: _guard.py FD COMMAND [ARG]...\n")
        return 2
    lifeline = int(argv[0])
    try:
        # Its own session: the group signal below reaches the command's children too (sh -c, alembic, ...).
        child = subprocess.Popen(argv[1:], start_new_session=True)
    except OSError as e:
        sys.stderr.write("cannot run {}: {}\n".format(argv[1], e.strerror or e))
        return 127 if isinstance(e, FileNotFoundError) else 126
    stopping = threading.Lock()

    def stop(*_):
        if not stopping.acquire(blocking=False):
            return
        _signal_group(child.pid, signal.SIGTERM)
        try:
            child.wait(GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            _signal_group(child.pid, signal.SIGKILL)

    def watch():
        try:
            while os.read(lifeline, 512):
                pass
        except OSError:
            pass
        stop()

    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=stop, daemon=True).start())
    signal.signal(signal.SIGINT, lambda *_: threading.Thread(target=stop, daemon=True).start())
    threading.Thread(target=watch, name="lifeline", daemon=True).start()
    code = child.wait()
    return code if code >= 0 else 128 - code


def _signal_group(pid, sig):
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

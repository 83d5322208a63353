"""``python -m muster_client wait [options] -- COMMAND [ARG]...``: ``scripts/muster-wait`` in Python.

Waits until the orchestrator reports the schema ready — running the migration first with
``--migrate-with`` if this instance is elected — then replaces itself with COMMAND (``exec``), which keeps
the PID and the signals. Exit codes: COMMAND's own once it runs; otherwise 2 bad usage or configuration,
3 the migration failed, 4 gave up waiting, 5 the orchestrator could not be reached before the timeout.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import List, Optional

from . import MusterError, _log, wait_ready
from ._run import describe

PROG = "python -m muster_client"
EPILOG = """environment: MUSTER_URL (comma-separated for fail-over), MUSTER_SERVICE (required), MUSTER_INSTANCE,
MUSTER_SCHEMA, MUSTER_REQUIRED_VERSION, MUSTER_TIMEOUT, MUSTER_TOKEN or MUSTER_TOKEN_FILE, MUSTER_DEPLOY;
the options win.
exit codes: the command's own once it runs; otherwise 2 bad usage, 3 migration failed, 4 timed out,
5 orchestrator unreachable."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG + " wait", epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     description="Wait until the Muster orchestrator reports the schema ready, "
                                                 "then run COMMAND in place of this process.")
    parser.add_argument("--schema", metavar="S", help="the schema the service needs (MUSTER_SCHEMA; public)")
    parser.add_argument("--version", metavar="V", dest="required_version",
                        help="the version it needs (MUSTER_REQUIRED_VERSION; default the latest)")
    parser.add_argument("--timeout", metavar="SECONDS", help="how long to wait in all (MUSTER_TIMEOUT; 600)")
    parser.add_argument("--migrate-with", metavar="CMD",
                        help="offer to migrate: if elected, run CMD (with /bin/sh -c) first")
    parser.add_argument("--version-from", metavar="CMD",
                        help="compute the required version with CMD, such as 'alembic heads' (its first word)")
    return parser


def _split(argv: List[str]):
    """Options before ``--`` and the command after it; without ``--``, the command starts at the first
    argument that is not an option, as in muster-wait."""
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1:]
    takes_value = {"--schema", "--version", "--timeout", "--migrate-with", "--version-from"}
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        i += 2 if argv[i] in takes_value else 1
    return argv[:i], argv[i:]


def _say(text: str) -> None:
    sys.stderr.write("muster_client: {}\n".format(text))
    sys.stderr.flush()


def wait_command(argv: List[str]) -> int:
    options, command = _split(argv)
    parser = _parser()
    args = parser.parse_args(options)  # exits 2 on a bad option, as muster-wait does
    if not command:
        parser.print_usage(sys.stderr)
        _say("no command to run: put it after --")
        return 2
    timeout = args.timeout
    if timeout is not None and not timeout.isdigit():
        _say("the timeout must be whole seconds, was {!r}".format(timeout))
        return 2
    try:
        ready = wait_ready(schema=args.schema, required_version=args.required_version, timeout=timeout,
                           migrate=args.migrate_with, version_from=args.version_from)
    except MusterError as e:
        _say(str(e))
        return e.exit_code
    _say("{}; starting {}".format(ready, describe(command)))
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvp(command[0], command)
    except OSError as e:
        _say("cannot run {}: {}".format(command[0], e.strerror or e))
        return 127 if isinstance(e, FileNotFoundError) else 126
    return 0  # not reached


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write("usage: {} wait [--schema S] [--version V] [--timeout SECONDS] [--migrate-with CMD]"
                         " [--version-from CMD] -- COMMAND [ARG]...\n".format(PROG))
        return 0 if argv else 2
    if argv[0] != "wait":
        _say("unknown command {!r}; the only one is wait".format(argv[0]))
        return 2
    _log.to_stderr()
    # SIGTERM while waiting ends the wait as Ctrl-C does: a migration under way is stopped on the way out.
    signal.signal(signal.SIGTERM, _terminated)
    try:
        return wait_command(argv[1:])
    except KeyboardInterrupt:
        return 130
    except _Terminated:
        return 143


class _Terminated(BaseException):
    pass


def _terminated(signum, frame):
    raise _Terminated()


if __name__ == "__main__":
    sys.exit(main())

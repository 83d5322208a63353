"""A delegated run: the instance the orchestrator elected runs the migration, keeps its lease with
heartbeats, and reports ``done`` (with the version reached) or ``failed`` (exit code and output tail)."""

from __future__ import annotations

import collections
import logging
import os
import random
import shlex
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Union

from . import _guard
from ._config import Settings, is_version
from ._errors import ArrivalRejected
from ._http import Answer, post_json

LOG = logging.getLogger("muster_client")
OUTPUT_TAIL_BYTES = 4096
OUTPUT_PREFIX = "[migrate] "
CALL_TIMEOUT = 10.0

Command = Union[str, Sequence[str]]
Migrate = Union[Command, Callable[[], Optional[str]]]
VersionFrom = Union[Command, Callable[[], Optional[str]]]


def argv_of(command: Command) -> List[str]:
    """A string runs under ``/bin/sh -c`` (as ``muster-wait --migrate-with`` does); a sequence as it is."""
    if isinstance(command, str):
        if not command.strip():
            raise ArrivalRejected("the migration command is empty", code="invalid_configuration")
        return ["/bin/sh", "-c", command]
    argv = [str(part) for part in command]
    if not argv:
        raise ArrivalRejected("the migration command is empty", code="invalid_configuration")
    return argv


def describe(command) -> str:
    if callable(command):
        return getattr(command, "__qualname__", repr(command))
    return command if isinstance(command, str) else " ".join(shlex.quote(str(p)) for p in command)


def read_version(version_from: VersionFrom, timeout: float) -> str:
    """The version ``version_from`` gives: a callable's return value, or the first word a command prints
    (``alembic heads`` prints ``4f2a1b9c0d1e (head)``).

    :raises ArrivalRejected: when it fails or gives nothing that is a version
    """
    what = describe(version_from)
    if callable(version_from):
        try:
            value = version_from()
        except Exception as e:
            raise ArrivalRejected("version_from {} raised {}: {}".format(what, type(e).__name__, e),
                                  code="invalid_configuration") from e
        text = "" if value is None else str(value).strip()
    else:
        try:
            done = subprocess.run(argv_of(version_from), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, timeout=max(timeout, 1.0))
        except (OSError, subprocess.TimeoutExpired) as e:
            raise ArrivalRejected("cannot run --version-from {}: {}".format(what, e),
                                  code="invalid_configuration") from e
        if done.returncode != 0:
            raise ArrivalRejected("--version-from {} exited with {}: {}".format(
                what, done.returncode, _tail(done.stderr.decode("utf-8", "replace"), 500).strip()),
                code="invalid_configuration")
        words = [line.split()[0] for line in done.stdout.decode("utf-8", "replace").splitlines() if line.split()]
        text = words[0] if words else ""
    if not is_version(text):
        raise ArrivalRejected("version_from {} gave {!r}, which is not a version".format(what, text),
                              code="invalid_configuration")
    return text


@dataclass(frozen=True)
class Outcome:
    done: bool
    version: Optional[str] = None
    exit_code: Optional[int] = None
    output: str = ""


class Orchestrators:
    """The run endpoints on every replica: a call goes to the replica that answered last, then the others.
    A heartbeat or report may reach any replica; they share the run."""

    def __init__(self, settings: Settings, first: int = 0):
        self._settings = settings
        self._next = first % len(settings.urls)
        self.last_problem = "no call made"

    def post(self, path: str, body: dict) -> Optional[Answer]:
        """The first answer that is not a 5xx, or the last 5xx; ``None`` when no replica answered."""
        urls = self._settings.urls
        answer = None
        for i in range(len(urls)):
            index = (self._next + i) % len(urls)
            try:
                answer = post_json(urls[index], path, body, self._settings.token, CALL_TIMEOUT)
            except OSError as e:
                self.last_problem = "{}: {}".format(urls[index], e)
                continue
            if answer.status < 500:
                self._next = index
                return answer
            self.last_problem = "{}: HTTP {} {}".format(urls[index], answer.status, answer.error_code or "")
        return answer


class Migration:
    """What the elected instance runs; ``stop()`` may be called from another thread."""

    def run(self) -> Outcome:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError


class CommandMigration(Migration):
    """A command under ``_guard.py``: its output is passed through with a prefix and its tail kept; closing
    the lifeline pipe (``stop()``, or this process dying) terminates it."""

    def __init__(self, command: Command, version_from: Optional[VersionFrom], fallback_version: Optional[str],
                 output, deadline: float):
        self._argv = argv_of(command)
        self._version_from = version_from
        self._fallback_version = fallback_version
        self._output = output
        self._deadline = deadline
        self._lock = threading.Lock()
        self._lifeline: Optional[int] = None
        self._stopped = False

    def run(self) -> Outcome:
        read_end, write_end = os.pipe()
        python = sys.executable or "python3"
        try:
            with self._lock:
                if self._stopped:
                    return Outcome(False, exit_code=None, output="stopped before it started")
                self._lifeline = write_end
            process = subprocess.Popen([python, _guard.__file__, str(read_end)] + self._argv,
                                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       pass_fds=(read_end,))
        except OSError as e:
            self._close_lifeline()
            return Outcome(False, exit_code=127, output="cannot start {}: {}".format(python, e))
        finally:
            os.close(read_end)
        tail = _Tail(OUTPUT_TAIL_BYTES)
        try:
            for raw in process.stdout:
                line = raw.decode("utf-8", "replace")
                tail.add(line)
                self._write(OUTPUT_PREFIX + line if line.endswith("\n") else OUTPUT_PREFIX + line + "\n")
            code = process.wait()
        finally:
            process.stdout.close()
            self._close_lifeline()
        if code != 0:
            return Outcome(False, exit_code=code, output=tail.text())
        version = self._fallback_version
        if self._version_from is not None:
            try:
                version = read_version(self._version_from, self._deadline - time.monotonic())
            except ArrivalRejected as e:
                LOG.warning("the migration succeeded but %s; reporting version %s", e, version)
        return Outcome(True, version=version)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
        self._close_lifeline()

    def _close_lifeline(self) -> None:
        with self._lock:
            lifeline, self._lifeline = self._lifeline, None
        if lifeline is not None:
            os.close(lifeline)

    def _write(self, text: str) -> None:
        try:
            self._output.write(text)
            self._output.flush()
        except (OSError, ValueError):
            pass  # nowhere to show it; the tail is still reported


class CallableMigration(Migration):
    """A Python callable, run on the run's thread. Its return value is the version reached; an exception
    is a failure with exit code 1 (or SystemExit's code) and the traceback as output. A callable cannot be
    stopped from outside: when the lease is lost, its outcome is simply not reported."""

    def __init__(self, function: Callable[[], Optional[str]], fallback_version: Optional[str]):
        self._function = function
        self._fallback_version = fallback_version

    def run(self) -> Outcome:
        try:
            value = self._function()
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            if code == 0:
                return Outcome(True, version=self._fallback_version)
            return Outcome(False, exit_code=code, output=_tail(traceback.format_exc(), OUTPUT_TAIL_BYTES))
        except Exception:
            return Outcome(False, exit_code=1, output=_tail(traceback.format_exc(), OUTPUT_TAIL_BYTES))
        if value is None:
            return Outcome(True, version=self._fallback_version)
        version = str(value).strip()
        if not is_version(version):
            return Outcome(False, exit_code=1, output="the migrate callable returned {!r}, which is not a version"
                           .format(value))
        return Outcome(True, version=version)

    def stop(self) -> None:
        pass


class DelegatedRun:
    """One run this instance was elected for, on its own thread: the migration, heartbeats every
    ``leaseSeconds / 3`` while it runs and until the report is answered, then the report.

    ``stop()`` ends it without a report (the lease was revoked). ``error`` is set when the orchestrator
    refused the report as invalid, a fault of configuration or version that waiting cannot mend."""

    def __init__(self, run_id: str, lease_seconds: float, migration: Migration, settings: Settings,
                 calls: Orchestrators, deadline: float):
        self.run_id = run_id
        self.reported: Optional[str] = None
        self.error: Optional[ArrivalRejected] = None
        self._lease_seconds = lease_seconds if lease_seconds > 0 else 15.0
        self._migration = migration
        self._settings = settings
        self._calls = calls
        self._deadline = deadline
        self._lost = threading.Event()
        self._answered = threading.Event()
        self._thread = threading.Thread(target=self._main, name="muster-migrate-run-" + run_id, daemon=True)
        self._heartbeats = threading.Thread(target=self._heartbeat, name="muster-heartbeat-run-" + run_id,
                                            daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._heartbeats.start()

    def stop(self, reason: str) -> None:
        if not self._lost.is_set():
            LOG.warning("run %s of schema %s: %s; stopping the migration", self.run_id, self._settings.schema,
                        reason)
        self._lost.set()
        self._answered.set()
        self._migration.stop()

    def join(self, timeout: Optional[float] = None) -> None:
        self._thread.join(timeout)

    @property
    def finished(self) -> bool:
        return not self._thread.is_alive()

    def _body(self, **fields) -> dict:
        body = {"service": self._settings.service, "instance": self._settings.instance}
        body.update(fields)
        return body

    def _main(self) -> None:
        try:
            outcome = self._migration.run()
            if self._lost.is_set():
                return
            if outcome.done:
                LOG.info("run %s of schema %s: the migration succeeded%s; reporting done", self.run_id,
                         self._settings.schema, " at version " + outcome.version if outcome.version else "")
                body = self._body(outcome="done")
                if outcome.version is not None:
                    body["version"] = outcome.version
            else:
                LOG.error("run %s of schema %s: the migration failed with exit code %s; reporting failed",
                          self.run_id, self._settings.schema, outcome.exit_code)
                body = self._body(outcome="failed", exitCode=outcome.exit_code, output=outcome.output)
            self._report(body)
        finally:
            self._answered.set()

    def _report(self, body: dict) -> None:
        delay = 0.1
        while not self._lost.is_set():
            answer = self._calls.post("/api/v1/runs/{}/report".format(self.run_id), body)
            if answer is not None and answer.status == 200:
                self.reported = body["outcome"]
                return
            if answer is not None and answer.status in (404, 409):
                LOG.warning("run %s of schema %s: the orchestrator refused the report (%s %s): %s", self.run_id,
                            self._settings.schema, answer.status, answer.error_code, answer.message)
                return
            if answer is not None and answer.status < 500:
                self.error = ArrivalRejected("the orchestrator refused the report of run {} ({} {}): {}".format(
                    self.run_id, answer.status, answer.error_code, answer.message), answer.status,
                    answer.error_code)
                return
            left = self._deadline - time.monotonic()
            if left <= 0:
                return
            retry_after = answer.retry_after() if answer is not None else None
            LOG.info("run %s: report not delivered (%s); trying again", self.run_id, self._calls.last_problem)
            self._lost.wait(min(left, retry_after if retry_after is not None else delay * random.uniform(0.5, 1)))
            delay = min(delay * 2, 2.0)

    def _heartbeat(self) -> None:
        path = "/api/v1/runs/{}/heartbeat".format(self.run_id)
        while not self._answered.wait(self._lease_seconds / 3):
            answer = self._calls.post(path, self._body())
            if self._answered.is_set():
                return
            if answer is None or answer.status >= 500:
                LOG.info("run %s: heartbeat not delivered (%s)", self.run_id, self._calls.last_problem)
            elif answer.status == 200:
                lease = answer.json.get("leaseSeconds")
                if isinstance(lease, (int, float)) and not isinstance(lease, bool) and lease > 0:
                    self._lease_seconds = float(lease)
            else:
                self.stop("the orchestrator answered the heartbeat with {} {}: {}".format(
                    answer.status, answer.error_code, answer.message))
                return


class _Tail:
    """The last ``limit`` bytes of text (UTF-8), cut at a line start where possible."""

    def __init__(self, limit: int):
        self._limit = limit
        self._lines = collections.deque()
        self._size = 0

    def add(self, line: str) -> None:
        self._lines.append(line)
        self._size += len(line.encode("utf-8"))
        while self._size > self._limit and len(self._lines) > 1:
            self._size -= len(self._lines.popleft().encode("utf-8"))

    def text(self) -> str:
        return _tail("".join(self._lines), self._limit)


def _tail(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[-limit:].decode("utf-8", "ignore")

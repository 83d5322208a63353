"""One wait for one arrival: post it, follow its event stream to a terminal event, reconnect with
``Last-Event-ID`` (rotating through the URLs) when the stream breaks off, falls silent or cannot be
opened, and run the migration when this instance is elected."""

from __future__ import annotations

import logging
import math
import random
import re
import socket
import time
from dataclasses import dataclass
from typing import Callable, Optional

from ._config import Settings
from ._errors import ArrivalRejected, MigrationFailed, MusterError, OrchestratorUnreachable, WaitTimeout
from ._events import Event, SseDecoder
from ._http import Answer, EventStream
from ._run import CallableMigration, CommandMigration, DelegatedRun, Migrate, Orchestrators, VersionFrom

LOG = logging.getLogger("muster_client")
ARRIVALS = "/api/v1/arrivals"
DATABASE_UNAVAILABLE = "the orchestrator's database is unavailable"
# 409 version_skew: during a roll-out of the orchestrator another replica, or this one upgraded, may soon have
# the migrations the instance needs; try the others, and give up after this long of such answers (as the Java
# SDK and muster-wait do).
VERSION_SKEW_WAIT = 30.0
_NUMERIC_VERSION = re.compile(r"[0-9]+(?:[._][0-9]+)*")


@dataclass(frozen=True)
class Ready:
    """The schema is ready: at ``version`` (``None`` when the orchestrator reported none), after ``waited``
    seconds, as ``orchestrator`` said. ``migrated`` is true when this instance ran the migration."""

    schema: str
    version: Optional[str]
    waited: float
    orchestrator: str
    migrated: bool = False

    def __str__(self) -> str:
        return "schema {}{} ready after {:.1f} s (from {}){}".format(
            self.schema, " at version " + self.version if self.version else "", self.waited, self.orchestrator,
            "; this instance migrated it" if self.migrated else "")


def accepts(required: Optional[str], version: Optional[str]) -> bool:
    """Opaque versions (Alembic revisions) must be equal; Flyway-style ones on both sides compare as ≥."""
    if required is None or version is None:
        return True
    if _NUMERIC_VERSION.fullmatch(required) and _NUMERIC_VERSION.fullmatch(version):
        return _numeric(version) >= _numeric(required)
    return version == required


def _numeric(version: str):
    parts = [int(p) for p in re.split(r"[._]", version)]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return parts


class Backoff:
    """100 ms doubling to 2 s, each pause drawn from the upper half of its step so that a fleet cut off at
    once does not reconnect in lockstep."""

    FIRST, MAX = 0.1, 2.0

    def __init__(self):
        self._step = self.FIRST

    def next(self) -> float:
        step = self._step
        self._step = min(step * 2, self.MAX)
        return step / 2 + random.uniform(0, step / 2)

    def reset(self) -> None:
        self._step = self.FIRST


class ArrivalWait:
    def __init__(self, settings: Settings, migrate: Optional[Migrate] = None,
                 version_from: Optional[VersionFrom] = None, on_event: Optional[Callable[[Event], None]] = None,
                 output=None, started: Optional[float] = None):
        self.settings = settings
        self._migrate = migrate
        self._version_from = version_from
        self._on_event = on_event
        self._output = output
        self._start = time.monotonic() if started is None else started
        self._deadline = self._start + settings.timeout
        self._backoff = Backoff()
        self._attempts = 0
        self._last_event_id: Optional[str] = None
        self._accepted_by: Optional[str] = None  # an orchestrator answered: slow, not unreachable
        self._last_event: Optional[Event] = None
        self._last_event_from: Optional[str] = None
        self._last_problem = "no attempt made"
        self._database_unavailable = False
        self._retry_after: Optional[float] = None
        self._skew: Optional[ArrivalRejected] = None
        self._first_skew = 0.0
        self._run: Optional[DelegatedRun] = None
        self._runs_done = set()
        self._migrated = False
        # Set by log.pruned: the stream resumed past pruned events, so announce again rather than follow it.
        self._rearrive = False

    def wait(self) -> Ready:
        try:
            while True:
                index = self._attempts % len(self.settings.urls)
                self._attempts += 1
                ready = self._attempt(index)
                if ready is not None:
                    return ready
                self._check_run()
                if self._skew is not None and time.monotonic() - self._first_skew >= VERSION_SKEW_WAIT:
                    raise self._skew
                pause = self._retry_after if self._retry_after is not None else self._backoff.next()
                self._retry_after = None
                pause = min(pause, self._remaining())
                if pause > 0:
                    LOG.debug("%s; trying again in %.0f ms", self._last_problem, pause * 1000)
                    time.sleep(pause)
                if self._remaining() <= 0:
                    raise self._skew if self._skew is not None else self._gave_up()
        finally:
            self._end_run("the wait ended")

    # One POST and the stream it answers with; None when the wait should try again.
    def _attempt(self, index: int) -> Optional[Ready]:
        url = self.settings.urls[index]
        timeout = max(min(self.settings.idle_timeout, self._remaining()), 0.001)
        try:
            stream, answer = EventStream.open(url, ARRIVALS, self._arrival(), self.settings.token,
                                              self._last_event_id, timeout)
        except OSError as e:
            return self._problem("{}: {}".format(url, _describe(e)))
        if stream is None:
            return self._refused(url, answer)
        self._accepted_by = url
        self._database_unavailable = False
        self._skew = None
        try:
            return self._follow(stream, url, index)
        except (OSError, socket.timeout) as e:
            return self._problem("{}: {}".format(url, _describe(e)))
        finally:
            stream.close()

    def _arrival(self) -> dict:
        s = self.settings
        body = {"service": s.service, "instance": s.instance, "schema": s.schema}
        if s.required_version is not None:
            body["requiredVersion"] = s.required_version
        if s.deploy is not None:
            body["deploy"] = s.deploy
        if self._migrate is not None:
            body["canMigrate"] = True
        body["timeoutSeconds"] = max(1, math.ceil(self._remaining()))
        return body

    def _follow(self, stream: EventStream, url: str, index: int) -> Optional[Ready]:
        decoder = SseDecoder()
        while True:
            limit = min(self.settings.idle_timeout, self._remaining())
            if limit <= 0:
                return None
            try:
                line = stream.readline(limit)
            except socket.timeout:
                if self._remaining() <= 0:
                    return None
                return self._problem("{}: nothing received for {:.0f} s".format(url, self.settings.idle_timeout))
            if line is None:
                return self._problem("{}: the stream ended before the schema was ready".format(url))
            self._backoff.reset()  # the stream is alive: should it break later, reconnect quickly
            self._check_run()
            event = decoder.accept(line)
            if event is not None:
                ready = self._on(event, url, index)
                if ready is not None:
                    return ready
                if self._rearrive:
                    self._rearrive = False
                    return self._problem("{}: the log was pruned past where this stream resumed; announcing again"
                                         .format(url))

    def _on(self, event: Event, url: str, index: int) -> Optional[Ready]:
        if event.id:
            self._last_event_id = event.id
        if self._on_event is not None:
            self._on_event(event)
        s = self.settings
        ours = event.schema is None or event.schema == s.schema
        mine = ours and event.instance == s.instance and (event.service is None or event.service == s.service)
        kind = event.type
        if kind == "schema.ready" and ours and accepts(s.required_version, event.version):
            return self._ready(event.version, url)
        if kind == "service.released" and mine:
            return self._ready(event.version, url)
        if kind == "schema.failed" and ours:
            self._settle_run()
            error = event.error
            exit_code = error.get("exitCode")
            raise MigrationFailed(
                s.schema, _str(error.get("message")), sql_state=_str(error.get("sqlState")),
                migrator_exit_code=exit_code if isinstance(exit_code, int) and not isinstance(exit_code, bool)
                else None,
                output=_str(error.get("output")), version=event.version,
                description=_str(event.data.get("description")), orchestrator=url)
        if kind == "service.gave_up" and mine:
            raise self._timed_out("the orchestrator gave up on {} waiting for {} after {:.0f} s".format(
                s.instance, self._target(), self._elapsed()))
        if kind == "log.pruned" and ours and self._run is None:
            # Events after our position may be gone (the orchestrator's MUSTER_EVENTS_RETENTION), our own release
            # among them: resume from now with a fresh arrival, answered from the schema's state. An elected
            # migrator keeps its stream: it reports the outcome itself.
            self._last_event_id = None
            self._rearrive = True
            return None
        if kind == "migrator.elected" and mine and event.run:
            self._elected(event, index)
        elif kind == "migrator.lost" and self._run is not None and event.run == self._run.run_id:
            self._run.stop("the orchestrator revoked the lease ({})".format(
                _str(event.data.get("reason")) or "no reason given"))
        elif kind in ("migration.applied", "migrator.elected", "migrator.lost", "migration.blocked"):
            LOG.info("%s", event)
        self._last_event = event
        self._last_event_from = url
        return None

    def _elected(self, event: Event, index: int) -> None:
        run_id = event.run
        if run_id in self._runs_done or (self._run is not None and self._run.run_id == run_id):
            return  # the same election again, after a resume
        if self._migrate is None:
            LOG.warning("elected for run %s of schema %s without offering to migrate; ignoring it", run_id,
                        self.settings.schema)
            return
        self._end_run("a new run was elected")
        lease = event.data.get("leaseSeconds")
        lease = float(lease) if isinstance(lease, (int, float)) and not isinstance(lease, bool) else 15.0
        if callable(self._migrate):
            migration = CallableMigration(self._migrate, self.settings.required_version)
        else:
            migration = CommandMigration(self._migrate, self._version_from, self.settings.required_version,
                                         self._output, self._deadline)
        LOG.info("elected migrator of schema %s (run %s, lease %.0f s); running the migration",
                 self.settings.schema, run_id, lease)
        self._run = DelegatedRun(run_id, lease, migration, self.settings, Orchestrators(self.settings, index),
                                 self._deadline)
        self._run.start()

    def _check_run(self) -> None:
        """A finished run whose report the orchestrator refused as invalid ends the wait."""
        run = self._run
        if run is not None and run.finished:
            self._forget(run)
            if run.error is not None:
                raise run.error

    def _end_run(self, reason: str) -> None:
        """Stops the run under way, if any, and waits for its command to end (the guard's grace period)."""
        run = self._run
        if run is None:
            return
        if not run.finished:
            run.stop(reason)
        run.join(30)
        self._forget(run)

    def _settle_run(self) -> None:
        """The schema settled: our run, if any, reported the outcome and is ending; let its last lines out."""
        run = self._run
        if run is not None:
            run.join(5)
            self._end_run("the schema settled")

    def _forget(self, run: DelegatedRun) -> None:
        self._runs_done.add(run.run_id)
        if run.reported == "done":
            self._migrated = True
        self._run = None

    def _ready(self, version: Optional[str], url: str) -> Ready:
        self._settle_run()
        return Ready(self.settings.schema, version, self._elapsed(), url, self._migrated)

    def _refused(self, url: str, answer: Answer) -> Optional[Ready]:
        status = answer.status
        if status == 409 and answer.json.get("state") == "failed" and isinstance(answer.json.get("error"), dict):
            error = answer.json["error"]
            raise MigrationFailed(self.settings.schema, _str(error.get("message")),
                                  sql_state=_str(error.get("sqlState")), output=_str(error.get("output")),
                                  version=_str(error.get("version")), description=_str(error.get("description")),
                                  orchestrator=url)
        if 400 <= status < 500 and status not in (408, 429):
            refused = ArrivalRejected("{} refused the arrival (HTTP {}{}): {}".format(
                url, status, " " + answer.error_code if answer.error_code else "",
                answer.message or "no message"), status, answer.error_code, url)
            if status != 409 or answer.error_code != "version_skew":
                raise refused
            if self._skew is None:
                self._first_skew = time.monotonic()
            self._skew = refused
            self._accepted_by = self._accepted_by or url
            return self._problem(str(refused))
        if answer.from_orchestrator or status == 429:
            self._accepted_by = self._accepted_by or url
        self._database_unavailable = answer.error_code == "database_unavailable"
        self._retry_after = answer.retry_after()
        if status == 200:
            return self._problem("{}: answered 200 with Content-Type {}, not an event stream".format(
                url, answer.headers.get("content-type", "(none)")))
        return self._problem("{}: HTTP {}{}: {}".format(url, status, " " + answer.error_code if answer.error_code
                                                         else "", answer.message or "no message"))

    def _problem(self, description: str) -> None:
        self._last_problem = description
        return None

    def _gave_up(self) -> MusterError:
        s = self.settings
        if self._accepted_by is None:
            return OrchestratorUnreachable("{} could not reach the orchestrator within {:.0f} s; tried {}; last"
                                           " error: {}".format(s.service, s.timeout, ", ".join(s.urls),
                                                               self._last_problem))
        if self._database_unavailable:
            return self._timed_out("{} gave up waiting for {} after {:.0f} s: {}".format(
                s.service, self._target(), self._elapsed(), DATABASE_UNAVAILABLE))
        return self._timed_out("{} gave up waiting for {} after {:.0f} s".format(
            s.service, self._target(), self._elapsed()))

    def _timed_out(self, what: str) -> WaitTimeout:
        text = what
        if self._last_event is not None:
            text += "; last event: {}, from {}".format(self._last_event, self._last_event_from)
        else:
            text += "; no event received from {}".format(self._accepted_by)
        if self._last_problem != "no attempt made" and self._last_problem not in text:
            text += "; then {}".format(self._last_problem)
        return WaitTimeout(text, self._last_event)

    def _target(self) -> str:
        required = self.settings.required_version
        return "schema {}{}".format(self.settings.schema, " at " + required if required else "")

    def _remaining(self) -> float:
        return self._deadline - time.monotonic()

    def _elapsed(self) -> float:
        return time.monotonic() - self._start


def _describe(error: BaseException) -> str:
    if isinstance(error, socket.timeout):
        return "no answer in time"
    text = str(error) or type(error).__name__
    cause = error.__cause__ or error.__context__
    if cause is not None and str(cause) and str(cause) not in text:
        text += " ({})".format(cause)
    return text


def _str(value) -> Optional[str]:
    if value is None or isinstance(value, bool):
        return None
    return value if isinstance(value, str) else str(value)

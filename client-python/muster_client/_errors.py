"""The typed failures of a wait, each with the exit code the Muster contract gives it."""

from __future__ import annotations

from typing import Optional


OUTPUT_LINES = 10  # of a failed migration command's output, in the message


class MusterError(Exception):
    """Why a wait ended without a ready schema. ``exit_code`` is the contract's code for it."""

    exit_code = 1


class ArrivalRejected(MusterError):
    """The arrival was refused: bad configuration found before sending it (``status`` is ``None``), or a
    4xx answer from the orchestrator, such as ``409 version_skew`` or ``401 unauthorized``. Exit code 2."""

    exit_code = 2

    def __init__(self, message: str, status: Optional[int] = None, code: Optional[str] = None,
                 orchestrator: Optional[str] = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.orchestrator = orchestrator


class MigrationFailed(MusterError):
    """The schema's migration failed; it is not at the required version. Exit code 3.

    ``sql_state`` and ``message`` are the database's when the orchestrator ran Flyway; for a delegated run
    ``migrator_exit_code`` and ``output`` (the last lines the migration command printed) are the elected
    instance's."""

    exit_code = 3

    def __init__(self, schema: str, message: Optional[str], sql_state: Optional[str] = None,
                 migrator_exit_code: Optional[int] = None, output: Optional[str] = None,
                 version: Optional[str] = None, description: Optional[str] = None,
                 orchestrator: Optional[str] = None):
        self.schema = schema
        self.message = message
        self.sql_state = sql_state
        self.migrator_exit_code = migrator_exit_code
        self.output = output
        self.version = version
        self.description = description
        self.orchestrator = orchestrator
        super().__init__(self._describe())

    def _describe(self) -> str:
        if self.version:
            text = "migration {}{} of schema {} failed: ".format(
                self.version, " '{}'".format(self.description) if self.description else "", self.schema)
        else:
            text = "the migration of schema {} failed: ".format(self.schema)
        if self.sql_state:
            text += "SQLSTATE {}: ".format(self.sql_state)
        if self.migrator_exit_code is not None:
            text += "the migration command exited with {}: ".format(self.migrator_exit_code)
        text += self.message or "no details reported"
        if self.orchestrator:
            text += " (from {})".format(self.orchestrator)
        last_lines = [line for line in (self.output or "").splitlines() if line.strip()][-OUTPUT_LINES:]
        if last_lines:
            text += "\nthe migration's last output:\n" + "\n".join("  | " + line for line in last_lines)
        return text


class WaitTimeout(MusterError):
    """The schema was not ready before the timeout, or the orchestrator gave up on this instance, or its
    database stayed unavailable. ``last_event`` is the last event seen, if any. Exit code 4."""

    exit_code = 4

    def __init__(self, message: str, last_event=None):
        super().__init__(message)
        self.last_event = last_event


class OrchestratorUnreachable(MusterError):
    """No orchestrator answered before the timeout. Exit code 5."""

    exit_code = 5

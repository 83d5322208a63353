"""The wait against a scripted orchestrator: streams, resumes, fail-over, refusals, back-off, and the
delegated-run protocol of docs/api.md (election, heartbeats, reports, revoked leases)."""

import io
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unittest
from unittest import mock

import muster_client
from muster_client import ArrivalRejected, MigrationFailed, OrchestratorUnreachable, WaitTimeout

from .scripted import ScriptedOrchestrator, free_port

ARRIVALS = "/api/v1/arrivals"
RUNS = "/api/v1/runs/"


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purpose.
    try:
        with open("/proc/{}/stat".format(pid)) as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def await_dead(pid, timeout=15.0):
    deadline = time.monotonic() + timeout
    while pid_alive(pid):
        if time.monotonic() > deadline:
            raise AssertionError("process {} still runs after {} s".format(pid, timeout))
        time.sleep(0.05)


def elected(stream, lease=15, run=42):
    """``migrator.elected`` naming web/web-1, the DelegatedRunTest's instance."""
    stream.event("migrator.elected", {"schema": "public", "service": "web", "instance": "web-1", "run": run,
                                      "leaseSeconds": lease}, seq=run)


def read_pid(path, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            with open(path) as f:
                text = f.read().strip()
            if text:
                return int(text)
        except FileNotFoundError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError("no pid written to {} within {} s".format(path, timeout))
        time.sleep(0.02)


class ScriptedTest(unittest.TestCase):
    """A scripted orchestrator per test, and ``wait()``: wait_ready against it as SERVICE/INSTANCE."""

    SERVICE, INSTANCE, TIMEOUT = "app", "app-1", 10

    def setUp(self):
        self.server = ScriptedOrchestrator()
        self.addCleanup(self.server.close)
        self.output = io.StringIO()

    def wait(self, **options):
        options.setdefault("url", self.server.url)
        options.setdefault("service", self.SERVICE)
        options.setdefault("instance", self.INSTANCE)
        options.setdefault("timeout", self.TIMEOUT)
        options.setdefault("environ", {})
        options.setdefault("output", self.output)
        return muster_client.wait_ready(**options)

    def refuse_then_ready(self, refuse, times=1, version="1"):
        """The first ``times`` arrivals are answered by ``refuse``; the next gets schema.ready at ``version``."""
        def arrive(x):
            if len(self.server.calls(ARRIVALS)) <= times:
                refuse(x)
            else:
                x.stream().event("schema.ready", {"schema": "public", "version": version}, seq=1)
        self.server.route("POST", ARRIVALS, arrive)


class ProtocolTest(ScriptedTest):

    # --- plain waits ---------------------------------------------------------------------------------

    def test_ready_event_ends_the_wait_with_its_version(self):
        def arrive(x):
            s = x.stream()
            s.write(": ping\n\n")
            s.event("service.starting", {"schema": "public", "service": "app", "instance": "app-1"}, seq=1)
            s.event("migration.applied", {"schema": "public", "version": "1", "description": "create"}, seq=2)
            s.event("schema.ready", {"schema": "public", "version": "2", "migrations": 2}, seq=3)
        self.server.route("POST", ARRIVALS, arrive)
        events = []

        ready = self.wait(required_version="2", token="s3cret", deploy="deploy-7", on_event=events.append)

        self.assertEqual(("public", "2", False), (ready.schema, ready.version, ready.migrated))
        self.assertEqual(self.server.url, ready.orchestrator)
        self.assertEqual(["service.starting", "migration.applied", "schema.ready"], [e.type for e in events])
        self.assertEqual(3, events[-1].seq)
        (call,) = self.server.calls(ARRIVALS)
        self.assertEqual("text/event-stream", call.headers["accept"])
        self.assertEqual("Bearer s3cret", call.headers["authorization"])
        body = dict(call.json)
        self.assertTrue(1 <= body.pop("timeoutSeconds") <= 10)
        self.assertEqual({"service": "app", "instance": "app-1", "schema": "public", "requiredVersion": "2",
                          "deploy": "deploy-7"}, body, "no canMigrate without a migrate command")

    def test_own_released_event_ends_the_wait(self):
        def arrive(x):
            s = x.stream()
            s.event("service.released", {"schema": "public", "service": "app", "instance": "other", "version": "3"},
                    seq=4)
            s.event("service.released", {"schema": "public", "service": "app", "instance": "app-1", "version": "3"},
                    seq=5)
        self.server.route("POST", ARRIVALS, arrive)
        self.assertEqual("3", self.wait().version)

    def test_a_broken_stream_resumes_after_the_last_event_on_the_next_url(self):
        first = ScriptedOrchestrator()
        self.addCleanup(first.close)

        def breaks_off(x):
            s = x.stream()
            s.event("service.starting", {"schema": "public", "instance": "app-1"}, seq=10)
            s.event("migration.started", {"schema": "public", "version": "1"}, seq=11)
        first.route("POST", ARRIVALS, breaks_off)

        def resumes(x):
            x.stream().event("schema.ready", {"schema": "public", "version": "1"}, seq=12)
        self.server.route("POST", ARRIVALS, resumes)

        ready = self.wait(url=first.url + "," + self.server.url + "/")

        self.assertEqual(self.server.url, ready.orchestrator)
        self.assertNotIn("last-event-id", first.calls(ARRIVALS)[0].headers)
        self.assertEqual("11", self.server.calls(ARRIVALS)[0].headers["last-event-id"])

    def test_a_resume_from_before_the_pruned_horizon_announces_again(self):
        def arrive(x):
            calls = len(self.server.calls(ARRIVALS))
            s = x.stream()
            if calls == 1:
                s.event("service.starting", {"schema": "public", "instance": "app-1"}, seq=10)
            elif calls == 2:
                # The resumed stream: its position was pruned, and what follows would never settle us.
                s.event("log.pruned", {"schema": "public", "seq": None, "after": 10, "horizon": 900}, with_id=False)
                time.sleep(5)
            else:
                s.event("schema.ready", {"schema": "public", "version": "1"}, seq=950)
        self.server.route("POST", ARRIVALS, arrive)
        seen = []

        ready = self.wait(on_event=seen.append)

        self.assertEqual("1", ready.version)
        calls = self.server.calls(ARRIVALS)
        self.assertEqual(3, len(calls))
        self.assertEqual("10", calls[1].headers["last-event-id"])
        self.assertNotIn("last-event-id", calls[2].headers, "a fresh arrival: the old position is gone")
        self.assertIn("log.pruned", [e.type for e in seen])

    def test_a_silent_stream_is_dropped_after_the_idle_timeout_and_retried(self):
        silence = threading.Event()
        self.addCleanup(silence.set)

        def arrive(x):
            s = x.stream()
            if len(self.server.calls(ARRIVALS)) == 1:
                silence.wait(10)  # headers, then nothing: a half-open connection
            else:
                s.event("schema.ready", {"schema": "public", "version": "1"}, seq=1)
        self.server.route("POST", ARRIVALS, arrive)

        self.assertEqual("1", self.wait(idle_timeout=0.3).version)
        self.assertEqual(2, len(self.server.calls(ARRIVALS)))

    def test_a_proxy_error_page_and_a_refused_connection_are_retried(self):
        self.refuse_then_ready(lambda x: x.answer(502, b"<html>Bad Gateway</html>", content_type="text/html"))
        dead = "http://127.0.0.1:{}".format(free_port())

        self.assertEqual("1", self.wait(url=dead + "," + self.server.url).version)
        self.assertEqual(2, len(self.server.calls(ARRIVALS)))

    def test_database_unavailable_keeps_waiting_until_the_deadline_then_times_out_with_that_reason(self):
        self.server.route("POST", ARRIVALS, lambda x: x.answer(
            503, {"error": "database_unavailable", "message": "the orchestrator cannot reach its database"},
            headers={"Retry-After": "1"}))
        started = time.monotonic()

        with self.assertRaises(WaitTimeout) as caught:
            self.wait(timeout=2)

        self.assertGreaterEqual(time.monotonic() - started, 1.9, "it waited until its own deadline")
        self.assertEqual(4, caught.exception.exit_code)
        self.assertIn("the orchestrator's database is unavailable", str(caught.exception))
        self.assertGreaterEqual(len(self.server.calls(ARRIVALS)), 2, "it tried again after Retry-After")

    def test_nothing_listening_is_unreachable(self):
        with self.assertRaises(OrchestratorUnreachable) as caught:
            self.wait(url="http://127.0.0.1:{}".format(free_port()), timeout=1)
        self.assertEqual(5, caught.exception.exit_code)
        self.assertIn("could not reach the orchestrator", str(caught.exception))

    def test_a_4xx_is_final_and_carries_the_orchestrators_code_and_message(self):
        self.server.route("POST", ARRIVALS, lambda x: x.answer(403, {
            "error": "schema_not_allowed", "message": "schema 'billing' is not in MUSTER_SCHEMAS (public)"}))

        with self.assertRaises(ArrivalRejected) as caught:
            self.wait(schema="billing")

        e = caught.exception
        self.assertEqual((2, 403, "schema_not_allowed"), (e.exit_code, e.status, e.code))
        self.assertIn("is not in MUSTER_SCHEMAS", str(e))
        self.assertEqual(1, len(self.server.calls(ARRIVALS)), "not retried")

    def test_version_skew_tries_the_other_urls_for_a_while_then_is_final(self):
        def skew(x):
            x.answer(409, {"error": "version_skew",
                           "message": "app requires public ≥ 7; the orchestrator's migrations end at 5"})
        self.server.route("POST", ARRIVALS, skew)
        other = ScriptedOrchestrator()
        self.addCleanup(other.close)
        other.route("POST", ARRIVALS, skew)

        with mock.patch.object(muster_client._wait, "VERSION_SKEW_WAIT", 0.5):
            with self.assertRaises(ArrivalRejected) as caught:
                self.wait(url=self.server.url + "," + other.url, required_version="7")

        e = caught.exception
        self.assertEqual((2, 409, "version_skew"), (e.exit_code, e.status, e.code))
        self.assertIn("migrations end at 5", str(e))
        self.assertTrue(self.server.calls(ARRIVALS) and other.calls(ARRIVALS), "both replicas were asked")

    def test_version_skew_ends_when_an_upgraded_replica_answers(self):
        self.refuse_then_ready(lambda x: x.answer(409, {"error": "version_skew", "message": "migrations end at 5"}),
                               times=2, version="7")
        self.assertEqual("7", self.wait(required_version="7").version)

    def test_too_many_streams_is_retried_after_retry_after(self):
        self.refuse_then_ready(lambda x: x.answer(429, {"error": "too_many_streams", "message": "slow down"},
                                                  headers={"Retry-After": "0"}))
        self.assertEqual("1", self.wait().version)

    def test_flyway_failure_carries_sqlstate_message_and_migration(self):
        self.server.route("POST", ARRIVALS, lambda x: x.stream().event("schema.failed", {
            "schema": "public", "version": "2", "description": "copy from legacy", "schemaVersion": "1",
            "error": {"sqlState": "42P01", "message": 'relation "legacy" does not exist'}}, seq=9))

        with self.assertRaises(MigrationFailed) as caught:
            self.wait()

        e = caught.exception
        self.assertEqual((3, "42P01", None), (e.exit_code, e.sql_state, e.migrator_exit_code))
        self.assertIn('relation "legacy" does not exist', str(e))
        self.assertIn("migration 2 'copy from legacy'", str(e))

    def test_delegated_failure_carries_exit_code_and_output(self):
        self.server.route("POST", ARRIVALS, lambda x: x.stream().event("schema.failed", {
            "schema": "public", "error": {"sqlState": None, "message": "alembic upgrade head exited with 1",
                                          "exitCode": 1, "output": "sqlalchemy.exc.ProgrammingError: boom\n"}},
            seq=9))

        with self.assertRaises(MigrationFailed) as caught:
            self.wait()

        e = caught.exception
        self.assertEqual((3, None, 1), (e.exit_code, e.sql_state, e.migrator_exit_code))
        self.assertIn("ProgrammingError: boom", e.output)
        self.assertIn("exited with 1", str(e))

    def test_the_orchestrator_giving_up_without_a_log_entry_is_a_timeout(self):
        self.server.route("POST", ARRIVALS, lambda x: x.stream().event("service.gave_up", {
            "schema": "public", "service": "app", "instance": "app-1", "seq": None}, with_id=False))
        with self.assertRaises(WaitTimeout) as caught:
            self.wait()
        self.assertIn("the orchestrator gave up on app-1", str(caught.exception))

    def test_an_opaque_version_must_match_exactly(self):
        def arrive(x):
            s = x.stream()
            s.event("schema.ready", {"schema": "public", "version": "aaa111"}, seq=1)
            s.event("schema.ready", {"schema": "public", "version": "bbb222"}, seq=2)
        self.server.route("POST", ARRIVALS, arrive)
        self.assertEqual("bbb222", self.wait(required_version="bbb222").version)

    def test_flyway_versions_compare_as_numbers(self):
        self.assertTrue(muster_client._wait.accepts("9", "10"))
        self.assertTrue(muster_client._wait.accepts("1.2", "1_2_0"))
        self.assertFalse(muster_client._wait.accepts("10", "9"))
        self.assertFalse(muster_client._wait.accepts("1a", "1b"))
        self.assertTrue(muster_client._wait.accepts("1a", "1a"))

    def test_the_timeout_sent_is_the_time_left(self):
        self.refuse_then_ready(lambda x: x.answer(503, {"error": "database_unavailable", "message": "down"},
                                                  headers={"Retry-After": "1"}))
        self.wait(timeout=30)
        first, second = self.server.calls(ARRIVALS)
        self.assertEqual(30, first.json["timeoutSeconds"])
        self.assertLess(second.json["timeoutSeconds"], 30)


class DelegatedRunTest(ScriptedTest):
    """The elected instance's side of docs/api.md "Delegated runs"."""

    SERVICE, INSTANCE, TIMEOUT = "web", "web-1", 20

    def setUp(self):
        super().setUp()
        self.settled = threading.Event()
        self.addCleanup(self.settled.set)
        self.outcome = {}
        self.dir = tempfile.mkdtemp(prefix="muster-client-test-")

    def elect(self, lease=0.6, run="42"):
        """The arrival's stream: migrator.elected for web-1, then the event the test settles the run with."""
        def arrive(x):
            s = x.stream()
            s.event("service.starting", {"schema": "public", "service": "web", "instance": "web-1"}, seq=41)
            s.event("migrator.elected", {"schema": "public", "service": "web", "instance": "web-1", "run": int(run),
                                         "leaseSeconds": lease, "version": None}, seq=int(run))
            self.settled.wait(20)
            if "event" in self.outcome:
                s.event(*self.outcome["event"], seq=50)
        self.server.route("POST", ARRIVALS, arrive)

    def report_settles(self, status=200):
        """Answers reports; a done report becomes schema.ready, a failed one schema.failed, on the stream."""
        def report(x):
            body = x.json
            if status != 200:
                x.answer(status, {"error": "lease_lost", "message": "run 42 was revoked"})
                return
            if body["outcome"] == "done":
                self.outcome["event"] = ("schema.ready", {"schema": "public", "version": body.get("version")})
            else:
                self.outcome["event"] = ("schema.failed", {"schema": "public", "error": {
                    "sqlState": None, "message": "exit code {}".format(body["exitCode"]),
                    "exitCode": body["exitCode"], "output": body["output"]}})
            x.answer(200, {"run": "42", "type": self.outcome["event"][0], "seq": 50})
            self.settled.set()
        self.server.route("POST", RUNS + "42/report", report)

    def heartbeats_answer(self, status=200):
        self.server.route("POST", RUNS + "42/heartbeat", lambda x: x.answer(
            status, {"run": "42", "leaseSeconds": 0.6} if status == 200 else
            {"error": "lease_lost", "message": "the lease of run 42 was revoked"}))

    def test_the_elected_instance_runs_the_callable_heartbeats_and_reports_the_version_it_returns(self):
        self.elect()
        self.report_settles()
        self.heartbeats_answer()

        def migrate():
            self.server.await_calls(RUNS + "42/heartbeat", 2)  # it heartbeats while the migration runs
            return "4f2a1b9c0d1e"

        ready = self.wait(migrate=migrate)

        self.assertEqual(("4f2a1b9c0d1e", True), (ready.version, ready.migrated))
        self.assertTrue(self.server.calls(ARRIVALS)[0].json["canMigrate"])
        (report,) = self.server.calls(RUNS + "42/report")
        self.assertEqual({"service": "web", "instance": "web-1", "outcome": "done", "version": "4f2a1b9c0d1e"},
                         report.json)
        for beat in self.server.calls(RUNS + "42/heartbeat"):
            self.assertEqual({"service": "web", "instance": "web-1"}, beat.json)

    def test_a_command_that_fails_is_reported_with_its_exit_code_and_output_tail_and_raises(self):
        self.elect()
        self.report_settles()
        self.heartbeats_answer()

        with self.assertRaises(MigrationFailed) as caught:
            self.wait(migrate="echo applying 0001; echo 'relation \"accountz\" does not exist' >&2; exit 7")

        (report,) = self.server.calls(RUNS + "42/report")
        self.assertEqual(("failed", 7), (report.json["outcome"], report.json["exitCode"]))
        self.assertIn("applying 0001", report.json["output"])
        self.assertIn('relation "accountz" does not exist', report.json["output"])
        self.assertEqual(7, caught.exception.migrator_exit_code)
        self.assertIn("[migrate] applying 0001\n", self.output.getvalue(), "output passed through, prefixed")

    def test_a_command_reports_the_version_that_version_from_reads(self):
        self.elect()
        self.report_settles()
        self.heartbeats_answer()

        ready = self.wait(migrate=["sh", "-c", "echo migrating"], version_from="echo 'c0ffee01 (head)'")

        self.assertEqual("c0ffee01", ready.version)
        self.assertEqual("c0ffee01", self.server.calls(ARRIVALS)[0].json["requiredVersion"],
                         "version_from gives the required version when none is set")
        self.assertEqual("c0ffee01", self.server.calls(RUNS + "42/report")[0].json["version"])

    def test_the_output_tail_is_at_most_4_kib(self):
        self.elect()
        self.report_settles()
        self.heartbeats_answer()
        with self.assertRaises(MigrationFailed):
            self.wait(migrate=[sys.executable, "-c", "import sys\nfor i in range(2000): print('line', i)\n"
                                                      "sys.exit(1)"])
        output = self.server.calls(RUNS + "42/report")[0].json["output"]
        self.assertLessEqual(len(output.encode()), 4096)
        self.assertTrue(output.endswith("line 1999\n"), output[-50:])

    def test_lease_lost_on_a_heartbeat_terminates_the_command_and_nothing_is_reported(self):
        self.heartbeats_answer(409)
        pid_file = os.path.join(self.dir, "pid")
        released = threading.Event()
        self.addCleanup(released.set)

        def arrive_then_someone_else_migrates(x):
            s = x.stream()
            elected(s, lease=0.6)
            await_dead(read_pid(pid_file))
            s.event("migrator.lost", {"schema": "public", "service": "web", "instance": "web-1", "run": 42,
                                      "reason": "lease_expired"}, seq=43)
            s.event("migrator.elected", {"schema": "public", "service": "worker", "instance": "worker-1",
                                         "run": 44, "leaseSeconds": 15}, seq=44)
            s.event("schema.ready", {"schema": "public", "version": "7"}, seq=45)
        self.server.route("POST", ARRIVALS, arrive_then_someone_else_migrates)

        ready = self.wait(migrate="echo $$ > {}; exec sleep 60".format(pid_file))

        self.assertEqual(("7", False), (ready.version, ready.migrated))
        self.assertEqual([], self.server.calls(RUNS + "42/report"), "a revoked migrator reports nothing")

    def test_migrator_lost_on_the_stream_terminates_the_command(self):
        pid_file = os.path.join(self.dir, "pid")

        def arrive(x):
            s = x.stream()
            elected(s)
            pid = read_pid(pid_file)
            s.event("migrator.lost", {"schema": "public", "service": "web", "instance": "web-1", "run": 42,
                                      "reason": "orchestrator_lost"}, seq=43)
            await_dead(pid)
            s.event("schema.ready", {"schema": "public", "version": "7"}, seq=45)
        self.server.route("POST", ARRIVALS, arrive)

        ready = self.wait(migrate=["sh", "-c", "echo $$ > {}; sleep 60 & wait".format(pid_file)])

        self.assertFalse(ready.migrated)
        self.assertEqual([], self.server.calls(RUNS + "42/report"))

    def test_a_refused_report_leaves_the_instance_waiting_for_the_outcome(self):
        def arrive(x):
            s = x.stream()
            elected(s)
            self.server.await_calls(RUNS + "42/report", 1)
            s.event("schema.ready", {"schema": "public", "version": "8"}, seq=60)
        self.server.route("POST", ARRIVALS, arrive)
        self.report_settles(status=409)

        ready = self.wait(migrate=lambda: "7")

        self.assertEqual(("8", False), (ready.version, ready.migrated))

    def test_a_report_is_retried_on_another_replica_when_the_first_is_down(self):
        self.elect()
        self.report_settles()
        down = ScriptedOrchestrator()
        self.addCleanup(down.close)
        down.route("POST", RUNS, lambda x: x.answer(503, {"error": "database_unavailable", "message": "down"},
                                                    headers={"Retry-After": "0"}))
        down.route("POST", ARRIVALS, lambda x: x.answer(503, {"error": "database_unavailable", "message": "down"},
                                                        headers={"Retry-After": "0"}))

        ready = self.wait(url=down.url + "," + self.server.url, migrate=lambda: "7")

        self.assertEqual(("7", True), (ready.version, ready.migrated))
        self.assertEqual(1, len(self.server.calls(RUNS + "42/report")))

    def test_an_invalid_report_refusal_ends_the_wait_as_rejected(self):
        def arrive(x):
            s = x.stream()
            elected(s)
            self.settled.wait(20)
        self.server.route("POST", ARRIVALS, arrive)
        self.server.route("POST", RUNS + "42/report", lambda x: (
            x.answer(400, {"error": "invalid_request", "message": "version must be ..."}),
            threading.Timer(0.2, lambda: self.settled.set()).start()))

        with self.assertRaises(ArrivalRejected) as caught:
            self.wait(migrate=lambda: "7")
        self.assertIn("refused the report", str(caught.exception))

    def test_a_callable_that_raises_is_reported_failed_with_its_traceback(self):
        self.elect()
        self.report_settles()
        self.heartbeats_answer()

        def migrate():
            raise RuntimeError("revision 0005 is broken")

        with self.assertRaises(MigrationFailed) as caught:
            self.wait(migrate=migrate)
        report = self.server.calls(RUNS + "42/report")[0].json
        self.assertEqual(1, report["exitCode"])
        self.assertIn("RuntimeError: revision 0005 is broken", report["output"])
        self.assertEqual(1, caught.exception.migrator_exit_code)

    def test_an_election_of_another_instance_runs_nothing_here(self):
        def arrive(x):
            s = x.stream()
            s.event("migrator.elected", {"schema": "public", "service": "web", "instance": "web-2", "run": 42,
                                         "leaseSeconds": 15}, seq=42)
            s.event("schema.ready", {"schema": "public", "version": "7"}, seq=43)
        self.server.route("POST", ARRIVALS, arrive)
        ran = []
        ready = self.wait(migrate=lambda: ran.append(1))
        self.assertEqual(([], False), (ran, ready.migrated))

    def test_a_killed_instance_takes_its_migration_command_with_it(self):
        """SIGKILL leaves no chance to clean up: the guard sees its lifeline close and stops the command."""
        pid_file = os.path.join(self.dir, "pid")

        def arrive(x):
            s = x.stream()
            elected(s)
            self.settled.wait(30)
        self.server.route("POST", ARRIVALS, arrive)
        self.heartbeats_answer()
        host = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
            import sys, muster_client
            muster_client.wait_ready(url=sys.argv[1], service="web", instance="web-1", timeout=60, environ={},
                                     migrate="echo $$ > " + sys.argv[2] + "; sleep 60 & wait")
        """), self.server.url, pid_file], cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(host.kill)
        command = read_pid(pid_file)
        self.assertTrue(pid_alive(command))

        os.kill(host.pid, signal.SIGKILL)
        host.wait()

        await_dead(command)


if __name__ == "__main__":
    unittest.main()

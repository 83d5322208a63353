"""``python -m muster_client wait`` as a process, against a scripted orchestrator: the exit codes of
scripts/muster-wait, the command exec'd in its place, and --migrate-with / --version-from."""

import os
import signal
import subprocess
import sys
import tempfile
import threading
import unittest

from .scripted import ScriptedOrchestrator, free_port
from .test_protocol import await_dead, read_pid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARRIVALS = "/api/v1/arrivals"


class CliTest(unittest.TestCase):
    def setUp(self):
        self.server = ScriptedOrchestrator()
        self.addCleanup(self.server.close)
        self.dir = tempfile.mkdtemp(prefix="muster-cli-test-")

    def env(self, **extra):
        env = {k: v for k, v in os.environ.items() if not k.startswith("MUSTER_")}
        env.update({"MUSTER_URL": self.server.url, "MUSTER_SERVICE": "report", "MUSTER_TOKEN": "t0ken",
                    "PYTHONPATH": ROOT})
        env.update(extra)
        return env

    def start(self, *args, env=None):
        return subprocess.Popen([sys.executable, "-m", "muster_client"] + list(args), env=env or self.env(),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def run_cli(self, *args, env=None):
        process = self.start(*args, env=env)
        out, err = process.communicate(timeout=60)
        return process.returncode, out, err, process.pid

    def ready_at(self, version):
        self.server.route("POST", ARRIVALS, lambda x: x.stream().event(
            "schema.ready", {"schema": "public", "version": version}, seq=1))

    def test_a_ready_schema_execs_the_command_with_its_arguments_pid_and_exit_code(self):
        self.ready_at("11")

        code, out, err, pid = self.run_cli("wait", "--timeout", "30", "--", "sh", "-c",
                                           'echo "ran with $1 as $$"; exit 7', "sh", "an argument")

        self.assertEqual(7, code, err)
        self.assertEqual("ran with an argument as {}".format(pid), out.strip(), "exec keeps the PID")
        self.assertIn("schema public at version 11 ready", err)
        body = self.server.calls(ARRIVALS)[0].json
        self.assertTrue(body["instance"].endswith("-{}".format(pid)), "the default instance is host and PID")
        self.assertNotIn("canMigrate", body)

    def test_the_command_may_follow_the_options_without_a_double_dash(self):
        self.ready_at("1")
        code, out, err, _ = self.run_cli("wait", "--schema", "public", "echo", "--not-an-option")
        self.assertEqual((0, "--not-an-option"), (code, out.strip()), err)

    def test_bad_usage_exits_2_and_runs_nothing(self):
        self.ready_at("1")
        no_service = self.env()
        del no_service["MUSTER_SERVICE"]
        cases = {
            "no command": (["wait", "--timeout", "30"], None, "no command to run"),
            "unknown option": (["wait", "--frobnicate", "--", "echo", "x"], None, "unrecognized arguments"),
            "no service": (["wait", "--", "echo", "x"], no_service, "MUSTER_SERVICE is required"),
            "bad schema": (["wait", "--schema", "Public; DROP", "--", "echo", "x"], None, "schema name must match"),
            "bad timeout": (["wait", "--timeout", "soon", "--", "echo", "x"], None, "whole seconds"),
            "unknown command": (["frobnicate"], None, "unknown command"),
            "two versions": (["wait", "--version", "1", "--version-from", "echo 2", "--", "echo", "x"], None,
                             "both name the required version"),
        }
        for name, (args, env, message) in cases.items():
            with self.subTest(name):
                code, out, err, _ = self.run_cli(*args, env=env)
                self.assertEqual((2, ""), (code, out), err)
                self.assertIn(message, err)
        self.assertEqual([], self.server.calls(ARRIVALS), "nothing was announced")

    def test_a_refused_arrival_exits_2(self):
        self.server.route("POST", ARRIVALS, lambda x: x.answer(409, {"error": "version_skew", "message": "ends at 5"}))
        code, out, err, _ = self.run_cli("wait", "--version", "99", "--timeout", "1", "--", "echo", "x")
        self.assertEqual((2, ""), (code, out))
        self.assertIn("HTTP 409 version_skew", err)

    def test_a_failed_migration_exits_3(self):
        self.server.route("POST", ARRIVALS, lambda x: x.stream().event("schema.failed", {
            "schema": "public", "version": "2", "error": {"sqlState": "42P01", "message": "no legacy"}}, seq=3))
        code, out, err, _ = self.run_cli("wait", "--", "echo", "x")
        self.assertEqual((3, ""), (code, out))
        self.assertIn("SQLSTATE 42P01: no legacy", err)

    def test_timeout_exits_4_and_unreachable_exits_5(self):
        self.server.route("POST", ARRIVALS, lambda x: x.answer(503, {"error": "database_unavailable", "message": "x"},
                                                               headers={"Retry-After": "1"}))
        code, _, err, _ = self.run_cli("wait", "--timeout", "1", "--", "echo", "x")
        self.assertEqual(4, code, err)
        self.assertIn("database is unavailable", err)

        code, _, err, _ = self.run_cli("wait", "--timeout", "1", "--", "echo", "x",
                                       env=self.env(MUSTER_URL="http://127.0.0.1:{}".format(free_port())))
        self.assertEqual(5, code, err)

    def test_the_elected_instance_migrates_with_its_command_then_execs(self):
        def arrive(x):
            s = x.stream()
            s.event("migrator.elected", {"schema": "public", "service": "report", "instance": x.json["instance"],
                                         "run": 42, "leaseSeconds": 15}, seq=42)
            self.server.await_calls("/api/v1/runs/42/report", 1)
            s.event("schema.ready", {"schema": "public", "version": "c0ffee"}, seq=43)
        self.server.route("POST", ARRIVALS, arrive)
        self.server.route("POST", "/api/v1/runs/42/report", lambda x: x.answer(200, {"run": 42, "type": "schema.ready",
                                                                                     "seq": 43}))

        code, out, err, _ = self.run_cli("wait", "--migrate-with", "echo migrating; echo to stderr >&2",
                                         "--version-from", "echo 'c0ffee (head)'", "--", "echo", "serving")

        self.assertEqual((0, "serving"), (code, out.strip()), err)
        self.assertIn("[migrate] migrating\n", err)
        self.assertIn("[migrate] to stderr\n", err)
        arrival = self.server.calls(ARRIVALS)[0].json
        self.assertEqual((True, "c0ffee"), (arrival["canMigrate"], arrival["requiredVersion"]))
        report = self.server.calls("/api/v1/runs/42/report")[0]
        self.assertEqual(("done", "c0ffee", "Bearer t0ken"), (report.json["outcome"], report.json["version"],
                                                              report.headers["authorization"]))

    def test_sigterm_while_migrating_exits_143_and_stops_the_migration(self):
        settled = threading.Event()
        self.addCleanup(settled.set)

        def arrive(x):
            s = x.stream()
            s.event("migrator.elected", {"schema": "public", "service": "report", "instance": x.json["instance"],
                                         "run": 42, "leaseSeconds": 15}, seq=42)
            settled.wait(30)
        self.server.route("POST", ARRIVALS, arrive)
        pid_file = os.path.join(self.dir, "pid")
        process = self.start("wait", "--migrate-with", "echo $$ > {}; exec sleep 60".format(pid_file), "--", "true")
        self.addCleanup(process.kill)
        command = read_pid(pid_file)

        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)

        self.assertEqual(143, process.returncode)
        await_dead(command)
        self.assertEqual([], self.server.calls("/api/v1/runs/42/report"))


if __name__ == "__main__":
    unittest.main()

"""The client against the real orchestrator on a real PostgreSQL (see tests/orchestrator.py): Flyway runs
now; and delegated runs."""

import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import muster_client
from muster_client import ArrivalRejected, MigrationFailed

from .orchestrator import TOKEN, Orchestrator
from .scripted import free_port
from .test_protocol import await_dead, read_pid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIGRATIONS = {"V1__create_reports.sql": "CREATE TABLE reports (id bigserial PRIMARY KEY);",
              "V2__add_title.sql": "ALTER TABLE reports ADD COLUMN title text;"}


class FlywaySchemaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.orchestrator = Orchestrator(MIGRATIONS)
        if cls.orchestrator.url is None:
            raise AssertionError("the orchestrator did not start:\n" + cls.orchestrator.output())

    @classmethod
    def tearDownClass(cls):
        cls.orchestrator.stop()

    def wait(self, **options):
        options.setdefault("url", self.orchestrator.url)
        options.setdefault("service", "report")
        options.setdefault("token", TOKEN)
        options.setdefault("timeout", 60)
        options.setdefault("environ", {})
        return muster_client.wait_ready(**options)

    def test_the_schema_is_migrated_once_and_every_waiter_is_released_at_its_version(self):
        results, errors = [], []

        def one(i):
            try:
                results.append(self.wait(instance="report-{}".format(i)))
            except Exception as e:  # reported below
                errors.append(e)
        threads = [threading.Thread(target=one, args=(i,)) for i in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)

        self.assertEqual([], errors)
        self.assertEqual(["2"] * 5, [r.version for r in results])
        self.assertEqual({self.orchestrator.url}, {r.orchestrator for r in results})

    def test_fail_over_from_a_dead_url(self):
        ready = self.wait(url="http://127.0.0.1:{},{}".format(free_port(), self.orchestrator.url), required_version="1")
        self.assertEqual(self.orchestrator.url, ready.orchestrator)

    def test_refusals_are_final(self):
        cases = [({"required_version": "99", "timeout": 2}, 409, "version_skew"),  # final at the timeout
                 ({"token": "wrong"}, 401, "unauthorized"),
                 ({"schema": "elsewhere"}, 403, "schema_not_allowed")]
        for options, status, code in cases:
            with self.subTest(code):
                with self.assertRaises(ArrivalRejected) as caught:
                    self.wait(**options)
                self.assertEqual((status, code, 2), (caught.exception.status, caught.exception.code,
                                                    caught.exception.exit_code))

    def test_the_cli_execs_the_command_once_ready(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("MUSTER_")}
        env.update({"MUSTER_URL": self.orchestrator.url, "MUSTER_SERVICE": "report", "MUSTER_TOKEN": TOKEN,
                    "PYTHONPATH": ROOT})
        done = subprocess.run([sys.executable, "-m", "muster_client", "wait", "--timeout", "60", "--", "sh", "-c",
                               "echo $$; exit 9"], env=env, capture_output=True, text=True, timeout=90)
        self.assertEqual(9, done.returncode, done.stderr)
        self.assertTrue(done.stdout.strip().isdigit(), done.stdout)
        self.assertIn("schema public at version 2 ready", done.stderr)


class FailedFlywaySchemaTest(unittest.TestCase):
    def test_a_failed_migration_reaches_the_waiter_with_its_sqlstate(self):
        orchestrator = Orchestrator({"V1__create_reports.sql": "CREATE TABLE reports (id bigserial PRIMARY KEY);",
                                     "V2__copy_from_legacy.sql": "INSERT INTO reports SELECT id FROM legacy_reports;"})
        self.addCleanup(orchestrator.stop)
        self.assertIsNotNone(orchestrator.url, orchestrator.output())

        with self.assertRaises(MigrationFailed) as caught:
            muster_client.wait_ready(url=orchestrator.url, service="report", token=TOKEN, timeout=60, environ={})

        e = caught.exception
        self.assertEqual((3, "42P01", "2"), (e.exit_code, e.sql_state, e.version))
        self.assertIn("legacy_reports", str(e))


class DelegatedSchemaTest(unittest.TestCase):
    """docs/api.md "Delegated runs", end to end: one schema per test on one delegating orchestrator."""

    @classmethod
    def setUpClass(cls):
        cls.orchestrator = Orchestrator(MUSTER_RUNNER="delegate", MUSTER_SCHEMAS="public,py_*",
                                        MUSTER_CREATE_SCHEMAS="true", MUSTER_MIGRATOR_LEASE="3")
        if cls.orchestrator.url is None:
            output = cls.orchestrator.output()
            cls.orchestrator.stop()
            raise AssertionError("the delegating orchestrator did not start:\n" + output)

    @classmethod
    def tearDownClass(cls):
        cls.orchestrator.stop()

    def wait(self, **options):
        options.setdefault("url", self.orchestrator.url)
        options.setdefault("token", TOKEN)
        options.setdefault("timeout", 60)
        options.setdefault("environ", {})
        return muster_client.wait_ready(**options)

    def together(self, count, **options):
        """``count`` waits at once, as instances web-0, web-1, ...; their results or errors in order."""
        results = [None] * count
        barrier = threading.Barrier(count)

        def one(i):
            barrier.wait()
            try:
                results[i] = self.wait(service="web", instance="web-{}".format(i), **options)
            except Exception as e:
                results[i] = e
        threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        return results

    def test_exactly_one_of_many_instances_runs_the_migration_and_all_are_released_at_its_version(self):
        runs = []

        def migrate():
            runs.append(threading.current_thread().name)
            time.sleep(0.5)
            return "4f2a1b9c0d1e"

        results = self.together(6, schema="py_once", required_version="4f2a1b9c0d1e", migrate=migrate)

        self.assertEqual(1, len(runs), runs)
        self.assertEqual(["4f2a1b9c0d1e"] * 6, [getattr(r, "version", r) for r in results])
        self.assertEqual(1, sum(r.migrated for r in results))

        # Later arrivals that expect the same version are released at once, with no run.
        again = self.wait(service="worker", schema="py_once", required_version="4f2a1b9c0d1e", migrate=migrate)
        self.assertEqual(("4f2a1b9c0d1e", False, 1), (again.version, again.migrated, len(runs)))

    def test_a_failed_run_reaches_every_waiter_with_exit_code_and_output(self):
        def migrate():
            raise RuntimeError("revision 0005 refers to accountz")

        results = self.together(3, schema="py_failed", required_version="0005", migrate=migrate)

        for r in results:
            self.assertIsInstance(r, MigrationFailed)
            self.assertEqual((3, 1), (r.exit_code, r.migrator_exit_code))
            self.assertIn("revision 0005 refers to accountz", r.output or "")

    def test_a_killed_migrator_is_replaced_and_its_command_dies_with_it(self):
        pid_file = os.path.join(tempfile.mkdtemp(), "pid")
        env = {k: v for k, v in os.environ.items() if not k.startswith("MUSTER_")}
        env.update({"MUSTER_URL": self.orchestrator.url, "MUSTER_SERVICE": "beat", "MUSTER_INSTANCE": "beat-1",
                    "MUSTER_TOKEN": TOKEN, "MUSTER_SCHEMA": "py_killed", "PYTHONPATH": ROOT})
        first = subprocess.Popen([sys.executable, "-m", "muster_client", "wait", "--version", "rev9", "--migrate-with",
                                  "echo $$ > {}; exec sleep 120".format(pid_file), "--", "true"], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(first.kill)
        command = read_pid(pid_file, 60)  # beat-1 is the only one waiting: it was elected

        replacement = []
        waiter = threading.Thread(target=lambda: replacement.append(self.wait(
            service="web", instance="web-1", schema="py_killed", required_version="rev9", migrate=lambda: "rev9")))
        waiter.start()
        first.kill()
        first.wait()
        await_dead(command)
        waiter.join(90)

        self.assertEqual(1, len(replacement), "the second instance was elected and finished")
        self.assertEqual(("rev9", True), (replacement[0].version, replacement[0].migrated))


if __name__ == "__main__":
    unittest.main()

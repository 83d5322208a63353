"""The packaged orchestrator (``java -jar muster-orchestrator.jar serve``) as a child process, on databases
the Java side hands over: ``MUSTER_ORCHESTRATOR_JAR``, ``MUSTER_TEST_DATABASE_URLS`` (comma-separated fresh
databases, one per orchestrator) and ``MUSTER_TEST_JAVA``. fleet-tests' PythonClientIT sets them and runs
this suite inside ``./mvnw verify``; without them these tests are skipped."""

import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

JAR = os.environ.get("MUSTER_ORCHESTRATOR_JAR", "")
JAVA = os.environ.get("MUSTER_TEST_JAVA", "java")
TOKEN = "python-client-test-token"
SERVING = re.compile(r"serving on http://localhost:(\d+)/")
_databases = [u for u in os.environ.get("MUSTER_TEST_DATABASE_URLS", "").split(",") if u.strip()]
_lock = threading.Lock()



def take_database():
    """A fresh database for one orchestrator, or SkipTest when the suite runs without the Java side."""
    if not JAR or not os.path.isfile(JAR):
        raise unittest.SkipTest("no orchestrator: set MUSTER_ORCHESTRATOR_JAR and MUSTER_TEST_DATABASE_URLS "
                                "(fleet-tests' PythonClientIT does)")
    with _lock:
        if not _databases:
            raise unittest.SkipTest("MUSTER_TEST_DATABASE_URLS has no database left for another orchestrator")
        return _databases.pop(0)


class Orchestrator:
    """One orchestrator process; ``url`` is where it serves. Its output is kept for failure messages."""

    def __init__(self, migrations=None, **env):
        self.dir = tempfile.mkdtemp(prefix="muster-orchestrator-")
        migrations_dir = os.path.join(self.dir, "migrations")
        os.makedirs(migrations_dir)
        for name, sql in (migrations or {}).items():
            with open(os.path.join(migrations_dir, name), "w") as f:
                f.write(sql)
        environment = {k: v for k, v in os.environ.items() if not k.startswith("MUSTER_")}
        environment.update({"MUSTER_DATABASE_URL": take_database(), "MUSTER_MIGRATIONS": "filesystem:" + migrations_dir,
                            "MUSTER_HTTP_PORT": "0", "MUSTER_TOKEN": TOKEN, "MUSTER_REPLICA": "python-test"})
        environment.update(env)
        self.lines = []
        self._changed = threading.Condition()
        self.process = subprocess.Popen([JAVA, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", JAR, "serve"],
                                        env=environment, cwd=self.dir, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._read, daemon=True).start()
        self.url = None
        port = self._await_serving(120)
        if port is not None:
            self.url = "http://127.0.0.1:{}".format(port)

    def _read(self):
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self.lines.append(None)
            self._changed.notify_all()

    def _await_serving(self, timeout):
        """The port from its 'serving on' line; None when it ended without serving."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self._changed:
            while True:
                for line in self.lines[seen:]:
                    if line is None:
                        return None
                    match = SERVING.search(line)
                    if match:
                        return int(match.group(1))
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("the orchestrator did not serve within {} s:\n{}".format(timeout, self.output()))
                self._changed.wait(left)

    def output(self):
        with self._changed:
            return "\n".join(line for line in self.lines if line is not None)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.dir, True)

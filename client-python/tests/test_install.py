"""``pip install ./client-python`` on a machine without PyPI: into a fresh venv, with an index at a dead
address, so any download would fail. The in-tree backend (``requires = []``) needs none."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from .scripted import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "_build"))
import muster_build  # noqa: E402  (the backend, as pip loads it through backend-path)


class OfflineInstallTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="muster-install-test-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def make_venv(self):
        """A venv without its own pip (ensurepip is slow); this interpreter's pip installs into it."""
        self.venv = os.path.join(self.dir, "venv")
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", self.venv], check=True, capture_output=True)
        self.python = os.path.join(self.venv, "bin", "python")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
        self.env.update({"PIP_INDEX_URL": "http://127.0.0.1:{}/simple".format(free_port()),
                         "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_CACHE_DIR": "1", "PIP_RETRIES": "0",
                         "PIP_TIMEOUT": "2"})

    def pip(self, *args):
        done = subprocess.run([sys.executable, "-m", "pip", "--python", self.python] + list(args), env=self.env,
                              cwd=self.dir,
                              capture_output=True, text=True, timeout=300)
        self.assertEqual(0, done.returncode, done.stdout + done.stderr)
        return done.stdout

    def assert_installed(self):
        where = subprocess.run([self.python, "-c", "import muster_client, muster_client.hooks, muster_client._guard;"
                                " print(muster_client.__file__, muster_client.__version__)"],
                               env=self.env, cwd=self.dir, capture_output=True, text=True, check=True).stdout.split()
        self.assertTrue(where[0].startswith(self.venv), "imported from the venv: " + where[0])
        self.assertEqual(muster_build._version(), where[1])
        done = subprocess.run([self.python, "-m", "muster_client", "--help"], env=self.env, cwd=self.dir,
                              capture_output=True, text=True)
        self.assertEqual(0, done.returncode, done.stderr)
        self.assertIn("wait", done.stdout)
        show = self.pip("show", "muster-client")
        self.assertIn("Name: muster-client", show)
        self.assertIn("Version: " + muster_build._version(), show)

    def test_pip_installs_the_folder_without_an_index(self):
        self.make_venv()
        self.pip("install", ROOT)
        self.assert_installed()

    def test_the_sdist_carries_the_backend_so_it_builds_offline_too(self):
        import tarfile

        with tarfile.open(os.path.join(self.dir, muster_build.build_sdist(self.dir))) as sdist:
            names = set(sdist.getnames())
        base = "muster_client-" + muster_build._version() + "/"
        for path in ("pyproject.toml", "PKG-INFO", "README.md", "_build/muster_build.py", "muster_client/__init__.py",
                     "muster_client/_guard.py", "tests/test_install.py"):
            self.assertIn(base + path, names)

    def test_the_wheel_lists_every_file_it_holds_with_its_hash(self):
        import base64
        import hashlib
        import zipfile

        wheel = os.path.join(self.dir, muster_build.build_wheel(self.dir))
        with zipfile.ZipFile(wheel) as archive:
            names = set(archive.namelist())
            record = archive.read(next(n for n in names if n.endswith(".dist-info/RECORD"))).decode()
            listed = {}
            for line in record.splitlines():
                path, digest, size = line.rsplit(",", 2)
                listed[path] = (digest, size)
            self.assertEqual(names, set(listed))
            for path, (digest, size) in listed.items():
                if path.endswith("RECORD"):
                    continue
                data = archive.read(path)
                expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
                self.assertEqual(("sha256=" + expected, str(len(data))), (digest, size), path)
        self.assertIn("muster_client/_guard.py", names)
        self.assertFalse([n for n in names if n.startswith("tests/") or "__pycache__" in n], names)


if __name__ == "__main__":
    unittest.main()

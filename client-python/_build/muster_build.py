"""A PEP 517 / PEP 660 build backend for muster-client, standard library only.

pip builds a project in an isolated environment into which it installs the backend's requirements from
an index. This backend needs none (``requires = []``), so ``pip install ./client-python`` works on a
machine without PyPI. It packs the pure-Python package ``muster_client`` into a ``py3-none-any`` wheel;
the metadata lives here, the version in ``muster_client/__init__.py``.
"""

import base64
import hashlib
import io
import os
import re
import tarfile
import time
import zipfile

NAME = "muster-client"
SUMMARY = "Make a Python service wait until Muster reports its database schema migrated"
REQUIRES_PYTHON = ">=3.9"
LICENSE = "Apache-2.0"
PACKAGE = "muster_client"

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_SDIST_FILES = ("pyproject.toml", "README.md")
_SDIST_DIRS = ("_build", PACKAGE, "tests")
# Zip entries before 1980 are invalid; SOURCE_DATE_EPOCH makes builds reproducible.
_EPOCH = max(int(os.environ.get("SOURCE_DATE_EPOCH", "315532800")), 315532800)


def _version():
    with open(os.path.join(_ROOT, PACKAGE, "__init__.py"), encoding="utf-8") as source:
        match = re.search(r'^__version__ = "([^"]+)"$', source.read(), re.MULTILINE)
    if not match:
        raise RuntimeError(PACKAGE + "/__init__.py has no __version__ line")
    return match.group(1)


def _dist_name():
    return NAME.replace("-", "_")


def _metadata():
    with open(os.path.join(_ROOT, "README.md"), encoding="utf-8") as readme:
        description = readme.read()
    return (
        "Metadata-Version: 2.1\n"
        "Name: {}\nVersion: {}\nSummary: {}\nLicense: {}\nRequires-Python: {}\n"
        "Description-Content-Type: text/markdown\n\n{}"
    ).format(NAME, _version(), SUMMARY, LICENSE, REQUIRES_PYTHON, description)


def _wheel_info(tag="py3-none-any"):
    return "Wheel-Version: 1.0\nGenerator: muster_build\nRoot-Is-Purelib: true\nTag: {}\n".format(tag)


def _package_files():
    """(path in the wheel, bytes) of every module of the package, sorted for reproducible wheels."""
    files = []
    for directory, subdirectories, names in os.walk(os.path.join(_ROOT, PACKAGE)):
        subdirectories[:] = sorted(d for d in subdirectories if d != "__pycache__")
        for name in sorted(names):
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                with open(path, "rb") as source:
                    files.append((os.path.relpath(path, _ROOT).replace(os.sep, "/"), source.read()))
    return files


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return "{},sha256={},{}\n".format(path, digest, len(data))


def _write_wheel(wheel_directory, files):
    dist_info = "{}-{}.dist-info".format(_dist_name(), _version())
    files = files + [
        (dist_info + "/METADATA", _metadata().encode("utf-8")),
        (dist_info + "/WHEEL", _wheel_info().encode("utf-8")),
        (dist_info + "/top_level.txt", (PACKAGE + "\n").encode("utf-8")),
    ]
    record_path = dist_info + "/RECORD"
    record = "".join(_record_line(path, data) for path, data in files) + record_path + ",,\n"
    filename = "{}-{}-py3-none-any.whl".format(_dist_name(), _version())
    date_time = time.gmtime(_EPOCH)[:6]
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w", zipfile.ZIP_DEFLATED) as wheel:
        for path, data in files + [(record_path, record.encode("utf-8"))]:
            entry = zipfile.ZipInfo(path, date_time)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            wheel.writestr(entry, data)
    return filename


def _write_metadata_directory(metadata_directory):
    dist_info = "{}-{}.dist-info".format(_dist_name(), _version())
    os.makedirs(os.path.join(metadata_directory, dist_info), exist_ok=True)
    for name, text in (("METADATA", _metadata()), ("WHEEL", _wheel_info())):
        with open(os.path.join(metadata_directory, dist_info, name), "w", encoding="utf-8") as out:
            out.write(text)
    return dist_info


# PEP 517


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    return _write_metadata_directory(metadata_directory)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _write_wheel(wheel_directory, _package_files())


def build_sdist(sdist_directory, config_settings=None):
    base = "{}-{}".format(_dist_name(), _version())
    filename = base + ".tar.gz"
    paths = [os.path.join(_ROOT, f) for f in _SDIST_FILES]
    for top in _SDIST_DIRS:
        for directory, subdirectories, names in os.walk(os.path.join(_ROOT, top)):
            subdirectories[:] = sorted(d for d in subdirectories if d != "__pycache__")
            paths.extend(os.path.join(directory, n) for n in sorted(names) if not n.endswith(".pyc"))

    def entry(name, data):
        info = tarfile.TarInfo(base + "/" + name)
        info.size, info.mtime, info.mode = len(data), _EPOCH, 0o644
        return info, io.BytesIO(data)

    with tarfile.open(os.path.join(sdist_directory, filename), "w:gz", format=tarfile.PAX_FORMAT) as sdist:
        for path in paths:
            with open(path, "rb") as source:
                sdist.addfile(*entry(os.path.relpath(path, _ROOT).replace(os.sep, "/"), source.read()))
        sdist.addfile(*entry("PKG-INFO", _metadata().encode("utf-8")))
    return filename


# PEP 660: `pip install -e ./client-python` puts the source folder on sys.path with a .pth file.


def get_requires_for_build_editable(config_settings=None):
    return []


def prepare_metadata_for_build_editable(metadata_directory, config_settings=None):
    return _write_metadata_directory(metadata_directory)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    pth = (_dist_name() + ".pth", (_ROOT + "\n").encode("utf-8"))
    return _write_wheel(wheel_directory, [pth])

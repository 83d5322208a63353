"""The fleet's environment, read once."""

import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://localhost/fleet")
BROKER_URL = os.environ.get("BROKER_URL", "redis://127.0.0.1:6379/0")
MODE = os.environ.get("FLEET_MODE", "muster")
if MODE not in ("naive", "muster"):
    raise SystemExit("FLEET_MODE must be naive or muster, was {!r}".format(MODE))

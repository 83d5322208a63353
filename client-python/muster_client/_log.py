"""The client logs to the ``muster_client`` logger; the CLI and the hooks show it on stderr."""

import logging
import sys

LOG = logging.getLogger("muster_client")


def to_stderr() -> None:
    """Shows the client's INFO lines on stderr, prefixed, unless the application configured the logger."""
    if not LOG.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("muster_client: %(message)s"))
        LOG.addHandler(handler)
        LOG.setLevel(logging.INFO)
        LOG.propagate = False

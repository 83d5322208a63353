"""The Python client's tests: standard library only (``python3 -m unittest discover -s tests -t .``)."""

import logging

# The client's warnings (a revoked lease, a refused report) are what several tests provoke: keep them quiet.
logging.getLogger("muster_client").addHandler(logging.NullHandler())

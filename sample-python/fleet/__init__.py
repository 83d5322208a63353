"""A small Python fleet on one PostgreSQL: a WSGI app under gunicorn (3 workers), a Celery worker, a Celery
beat and a digest process, all of which need the Alembic revisions in migrations/ before they start.

FLEET_MODE chooses how they get them: ``naive`` — every process runs ``alembic upgrade head`` at start-up,
as many real fleets do, and they race; ``muster`` — each one waits on Muster (gunicorn's ``on_starting``,
Celery's ``worker_init`` / ``beat_init``, ``python -m muster_client wait`` for the digest), and the one
instance the orchestrator elects runs ``alembic upgrade head`` for all of them.
"""

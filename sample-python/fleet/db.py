"""One short-lived psycopg2 connection per unit of work: simple, and safe across gunicorn's forks."""

import contextlib

import psycopg2

from .settings import DATABASE_URL


@contextlib.contextmanager
def transaction():
    connection = psycopg2.connect(DATABASE_URL)
    try:
        with connection:
            with connection.cursor() as cursor:
                yield cursor
    finally:
        connection.close()

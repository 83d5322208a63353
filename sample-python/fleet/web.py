"""The web app, plain WSGI: ``GET /health``, ``GET /accounts``, ``POST /accounts`` (which enqueues the
welcome task for the Celery worker)."""

import json
import os

from . import db, migrations, settings

if settings.MODE == "naive":
    # The usual start-up: each gunicorn worker imports the app, and so each one migrates.
    migrations.upgrade_at_start("web-{}".format(os.getpid()))


def application(environ, start_response):
    method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/")
    try:
        if path == "/health" and method == "GET":
            return _json(start_response, "200 OK", {"status": "ok", "pid": os.getpid()})
        if path == "/accounts" and method == "GET":
            with db.transaction() as cursor:
                cursor.execute("SELECT email, plan, welcomed_at IS NOT NULL FROM accounts ORDER BY id")
                rows = cursor.fetchall()
            return _json(start_response, "200 OK", {"pid": os.getpid(), "accounts": [
                {"email": e, "plan": p, "welcomed": w} for e, p, w in rows]})
        if path == "/accounts" and method == "POST":
            body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)) or b"{}")
            with db.transaction() as cursor:
                cursor.execute("INSERT INTO accounts (email, plan) VALUES (%s, %s) RETURNING id",
                               (body["email"], body.get("plan", "free")))
                account_id = cursor.fetchone()[0]
            from .tasks import welcome
            welcome.delay(account_id)
            return _json(start_response, "201 Created", {"id": account_id})
        return _json(start_response, "404 Not Found", {"error": "not_found"})
    except (KeyError, ValueError) as e:
        return _json(start_response, "400 Bad Request", {"error": "bad_request", "message": str(e)})


def _json(start_response, status, body):
    data = json.dumps(body).encode("utf-8")
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]

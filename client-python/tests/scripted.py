"""A scripted orchestrator: a real HTTP server on a free port whose answers each test writes, for the
protocol's edge cases (broken streams, resumes, 5xx, leases) that a real orchestrator will not produce on
demand. Every request is recorded."""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Exchange:
    """One request and the means to answer it."""

    def __init__(self, handler):
        self._handler = handler
        self.method = handler.command
        self.path = handler.path
        self.headers = {k.lower(): v for k, v in handler.headers.items()}
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            self.json = json.loads(raw) if raw else {}
        except ValueError:
            self.json = None
        self.answered = False

    def answer(self, status, body=None, headers=None, content_type="application/json"):
        data = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        h = self._handler
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(data)
        h.wfile.flush()
        self.answered = True

    def stream(self):
        """Starts an event stream, read until the connection closes (no Content-Length)."""
        h = self._handler
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Cache-Control", "no-cache")
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.flush()
        h.close_connection = True
        self.answered = True
        return Stream(h.wfile)


class Stream:
    def __init__(self, wfile):
        self._wfile = wfile

    def event(self, type, data=None, seq=None, with_id=True):
        data = dict(data or {})
        data.setdefault("type", type)
        if seq is not None:
            data.setdefault("seq", seq)
        text = ""
        if with_id and seq is not None:
            text += "id: {}\n".format(seq)
        text += "event: {}\ndata: {}\n\n".format(type, json.dumps(data))
        self.write(text)

    def write(self, text):
        try:
            self._wfile.write(text.encode("utf-8"))
            self._wfile.flush()
        except OSError:
            pass  # the client left


class ScriptedOrchestrator:
    """``routes`` maps ``(method, path prefix)`` to a handler ``f(exchange)``; a handler may block (each
    request has its own thread). Unrouted requests get 404."""

    def __init__(self):
        self.requests = []
        self._routes = []
        self._changed = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                outer._dispatch(self)

            def do_GET(self):
                outer._dispatch(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = "http://127.0.0.1:{}".format(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def route(self, method, prefix, handler):
        self._routes.append((method, prefix, handler))
        return self

    def _dispatch(self, handler):
        exchange = Exchange(handler)
        with self._changed:
            self.requests.append(exchange)
            self._changed.notify_all()
        for method, prefix, route in self._routes:
            if exchange.method == method and exchange.path.startswith(prefix):
                try:
                    route(exchange)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                if not exchange.answered:
                    exchange.answer(500, {"error": "unscripted", "message": "the handler did not answer"})
                return
        exchange.answer(404, {"error": "not_found", "message": exchange.path})

    def calls(self, prefix):
        with self._changed:
            return [r for r in self.requests if r.path.startswith(prefix)]

    def await_calls(self, prefix, count, timeout=10.0):
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [r for r in self.requests if r.path.startswith(prefix)]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("{} of {} calls to {} within {} s".format(len(found), count, prefix, timeout))
                self._changed.wait(left)

    def close(self):
        self._server.shutdown()
        self._server.server_close()


def free_port():
    """A port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

"""HTTP/1.1 to the orchestrator with http.client: JSON calls, and the arrival's Server-Sent Events stream."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
from dataclasses import dataclass
from typing import Dict, Optional
from urllib.parse import urlsplit

from . import __version__

USER_AGENT = "muster-client-python/" + __version__
MAX_ERROR_BODY = 16 * 1024
MAX_LINE = 1024 * 1024


@dataclass(frozen=True)
class Answer:
    """A complete answer: status, lower-cased headers, the JSON object of the body (empty if it was none)."""

    status: int
    headers: Dict[str, str]
    json: dict
    text: str

    @property
    def error_code(self) -> Optional[str]:
        code = self.json.get("error")
        return code if isinstance(code, str) else None

    @property
    def message(self) -> Optional[str]:
        message = self.json.get("message")
        if isinstance(message, str):
            return message
        first = self.text.strip().splitlines()[0] if self.text.strip() else ""
        return first[:200] or None

    @property
    def from_orchestrator(self) -> bool:
        """The orchestrator's own error form, not a proxy's page: it answered, even if with a 5xx."""
        return self.error_code is not None

    def retry_after(self) -> Optional[float]:
        value = self.headers.get("retry-after", "").strip()
        return float(value) if value.isdigit() else None


def _connection(base_url: str, timeout: float) -> http.client.HTTPConnection:
    split = urlsplit(base_url)
    if split.scheme.lower() == "https":
        return http.client.HTTPSConnection(split.hostname, split.port, timeout=timeout,
                                           context=ssl.create_default_context())
    return http.client.HTTPConnection(split.hostname, split.port, timeout=timeout)


def _path(base_url: str, path: str) -> str:
    return urlsplit(base_url).path.rstrip("/") + path


def _headers(token: Optional[str], accept: str, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    headers = {"Content-Type": "application/json", "Accept": accept, "User-Agent": USER_AGENT}
    if token:
        headers["Authorization"] = "Bearer " + token
    headers.update(extra or {})
    return headers


def encode(body: dict) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _answer(response: http.client.HTTPResponse) -> Answer:
    raw = response.read(MAX_ERROR_BODY)
    text = raw.decode("utf-8", "replace")
    try:
        parsed = json.loads(text) if text.strip() else {}
    except ValueError:
        parsed = {}
    return Answer(response.status, {k.lower(): v for k, v in response.getheaders()},
                  parsed if isinstance(parsed, dict) else {}, text)


def post_json(base_url: str, path: str, body: dict, token: Optional[str], timeout: float) -> Answer:
    """One POST and its whole answer.

    :raises OSError: when there is no answer (refused, reset, timed out, TLS), as http.client raises them
    """
    connection = _connection(base_url, timeout)
    try:
        connection.request("POST", _path(base_url, path), body=encode(body),
                           headers=_headers(token, "application/json"))
        return _answer(connection.getresponse())
    except http.client.HTTPException as e:
        raise OSError("bad HTTP answer: {}".format(e)) from e
    finally:
        connection.close()


class EventStream:
    """A POST answered with ``text/event-stream``: lines are read one by one, each read bounded by a timeout
    so a silent (dead) connection is noticed. Not thread-safe; close it to drop the connection."""

    def __init__(self, connection: http.client.HTTPConnection, response: http.client.HTTPResponse):
        self._connection = connection
        self._response = response

    @staticmethod
    def open(base_url: str, path: str, body: dict, token: Optional[str], last_event_id: Optional[str],
             timeout: float):
        """POSTs and returns ``(EventStream, None)`` for an event stream, or ``(None, Answer)`` for anything else.

        :raises OSError: when there is no answer
        """
        connection = _connection(base_url, timeout)
        extra = {"Last-Event-ID": last_event_id} if last_event_id else None
        try:
            connection.request("POST", _path(base_url, path), body=encode(body),
                               headers=_headers(token, "text/event-stream", extra))
            response = connection.getresponse()
            content_type = (response.getheader("Content-Type") or "").strip().lower()
            if response.status == 200 and content_type.startswith("text/event-stream"):
                return EventStream(connection, response), None
            answer = _answer(response)
        except http.client.HTTPException as e:
            connection.close()
            raise OSError("bad HTTP answer: {}".format(e)) from e
        except BaseException:
            connection.close()
            raise
        connection.close()
        return None, answer

    def readline(self, timeout: float) -> Optional[str]:
        """The next line without its line ending; ``None`` when the stream ended.

        :raises socket.timeout: when nothing came within ``timeout`` seconds
        :raises OSError: when the connection broke
        """
        if self._connection.sock is not None:
            self._connection.sock.settimeout(max(timeout, 0.001))
        try:
            line = self._response.readline(MAX_LINE)
        except http.client.IncompleteRead:
            return None  # a chunked stream cut off mid-chunk: as good as ended
        except http.client.HTTPException as e:
            raise OSError("bad event stream: {}".format(e)) from e
        except ValueError:  # read from a closed file: close() was called
            return None
        if not line:
            return None
        return line.decode("utf-8", "replace").rstrip("\r\n")

    def close(self) -> None:
        self._connection.close()


socket_timeout = socket.timeout

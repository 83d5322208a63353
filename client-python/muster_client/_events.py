"""Server-Sent Events decoding, and the orchestrator's events as values."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Optional


@dataclass(frozen=True)
class Event:
    """One event of the schema, as the orchestrator pushed it. ``data`` is the whole JSON object; the
    properties are its common fields. ``seq`` is ``None`` for an event not in the log yet (a
    ``service.gave_up`` sent while the orchestrator's database is down)."""

    type: str
    data: dict = field(repr=False)
    id: Optional[str] = None

    @property
    def seq(self) -> Optional[int]:
        seq = self.data.get("seq")
        return seq if isinstance(seq, int) and not isinstance(seq, bool) else None

    @property
    def schema(self) -> Optional[str]:
        return _text(self.data.get("schema"))

    @property
    def service(self) -> Optional[str]:
        return _text(self.data.get("service"))

    @property
    def instance(self) -> Optional[str]:
        return _text(self.data.get("instance"))

    @property
    def version(self) -> Optional[str]:
        return _text(self.data.get("version"))

    @property
    def run(self) -> Optional[str]:
        return _text(self.data.get("run"))

    @property
    def error(self) -> dict:
        error = self.data.get("error")
        return error if isinstance(error, dict) else {}

    def __str__(self) -> str:
        parts = [self.type]
        for key in ("schema", "service", "instance", "version", "run", "reason"):
            value = _text(self.data.get(key))
            if value is not None:
                parts.append("{}={}".format(key, value))
        return " ".join(parts)


def _text(value) -> Optional[str]:
    """Strings as they are, numbers as their digits (a version or a run id may come as a JSON number)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float, str)):
        return str(value)
    return None


class SseDecoder:
    """Lines in, events out, as the HTML Standard's event-stream parser: ``event:``, ``data:`` (several
    joined with newlines), ``id:``, comments ignored, an event dispatched at the blank line after it."""

    def __init__(self):
        self._type = ""
        self._data = []
        self._id: Optional[str] = None

    def accept(self, line: str) -> Optional[Event]:
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._type = value
        elif name == "data":
            self._data.append(value)
        elif name == "id" and "\0" not in value:
            self._id = value
        return None

    def _dispatch(self) -> Optional[Event]:
        if not self._data:
            self._type = ""
            return None
        text = "\n".join(self._data)
        event_type, event_id = self._type, self._id
        self._type, self._data, self._id = "", [], None
        try:
            data = json.loads(text)
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        event_type = event_type or _text(data.get("type")) or "message"
        return Event(event_type, data, event_id)

"""A real Server-Sent Events client over httpx, reading in a thread of its own."""

from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class SseEvent:
    id: str
    event: str
    data: str

    def json(self) -> Any:
        return json.loads(self.data)


@dataclass
class SseClient:
    """Connects to `url` (with Last-Event-ID when given) and queues what arrives: SseEvents,
    and the comments after the first (heartbeats) as strings. Back from construction once
    the server has subscribed (its first comment came) or refused."""

    url: str
    last_event_id: str = ""
    params: dict[str, str] = field(default_factory=dict)
    received: queue.Queue[SseEvent | str] = field(default_factory=queue.Queue)
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.connected = threading.Event()
        self.ended = threading.Event()
        self.response: httpx.Response | None = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        if not self.connected.wait(10):
            raise AssertionError("the stream did not answer")

    def _read(self) -> None:
        try:
            self._stream()
        except httpx.HTTPError:  # closed under it (close()), or the server went away
            pass
        finally:
            self.connected.set()
            self.ended.set()

    def _stream(self) -> None:
        headers = {"Last-Event-ID": self.last_event_id} if self.last_event_id else {}
        timeout = httpx.Timeout(30, read=None)
        with (
            httpx.Client(timeout=timeout) as client,
            client.stream("GET", self.url, params=self.params, headers=headers) as response,
        ):
            self.response = response
            self.status = response.status_code
            self.headers = dict(response.headers)
            if self.status != 200:
                return
            # Connected once the first comment came: the server has subscribed by then.
            event: dict[str, str] = {}
            for line in response.iter_lines():
                if self.stop.is_set():
                    return
                if not line:
                    if "data" in event:
                        self.received.put(
                            SseEvent(
                                event.get("id", ""), event.get("event", "message"), event["data"]
                            )
                        )
                    event = {}
                elif line.startswith(":"):
                    if self.connected.is_set():
                        self.received.put(line[1:].strip())
                    self.connected.set()
                else:
                    name, _, value = line.partition(":")
                    event[name] = value.removeprefix(" ")

    def events(self, count: int, timeout: float = 10) -> list[SseEvent]:
        """The next `count` events (comments skipped)."""
        found: list[SseEvent] = []
        deadline = time.monotonic() + timeout
        while len(found) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{len(found)} events of {count} within {timeout}s: {found}")
            try:
                item = self.received.get(timeout=left)
            except queue.Empty:
                continue
            if isinstance(item, SseEvent):
                found.append(item)
        return found

    def comment(self, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                item = self.received.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                continue
            if isinstance(item, str):
                return item
        raise AssertionError("no comment")

    def close(self) -> None:
        """Hang up (the server sees the connection close)."""
        self.stop.set()
        if self.response is not None:
            self.response.close()
        self.ended.wait(5)

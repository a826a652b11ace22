"""The recent log records of every process (web, workers, beat, listener), kept in Redis.

`RedisLogHandler`, attached to the root logger by settings.LOGGING in every process, turns each
record into the same JSON as stdout and hands it to a background thread that LPUSHes batches
onto one Redis list and LTRIMs it to the newest MAX_RECORDS. Logging never waits for Redis and
never fails because of it: a full queue or an unreachable Redis drops records (the writer then
pauses a few seconds before trying again), and records logged by the writer thread itself, or by
the Redis client's own loggers, are never stored, so storing cannot loop.

`log_records` reads the list back, newest first, with the filters /api/logs/ and /logs/ offer.
Light imports only: logging is configured before Django's apps are ready.
"""

import json
import logging
import os
import queue
import threading
import time
from datetime import datetime
from typing import Any

import redis

from moon.lib.logging import record_to_dict
from moon.lib.redis import redis_client

LOG_KEY = "moon:logs"
MAX_RECORDS = 5000
QUEUE_SIZE = 10_000
BATCH_SIZE = 500
PAUSE_SECONDS = 5.0  # after a failed write: drop records instead of knocking on a dead Redis
IGNORED_LOGGERS = frozenset({"redis", "urllib3"})
MAX_LIMIT = 1000


def record_to_store(record: logging.LogRecord) -> str:
    """The stored line: the stdout JSON plus the numbers the filters compare."""
    data = record_to_dict(record)
    data["levelno"] = record.levelno
    data["ts"] = record.created
    return json.dumps(data, default=str)


class RedisLogHandler(logging.Handler):
    """Stores records in a bounded Redis list through a background writer thread."""

    def __init__(
        self,
        url: str,
        key: str = LOG_KEY,
        max_records: int = MAX_RECORDS,
        level: int | str = logging.NOTSET,
    ) -> None:
        super().__init__(level)
        self.url = url
        self.key = key
        self.max_records = max_records
        self.dropped = 0
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        """A forked child inherits no thread: it starts a writer (and a queue) of its own."""
        self._pid: int | None = None
        self._start_lock = threading.Lock()
        self._queue: queue.Queue[str] = queue.Queue(QUEUE_SIZE)
        self._writer: threading.Thread | None = None
        self._client: redis.Redis | None = None
        self._paused_until = 0.0

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.split(".", 1)[0] in IGNORED_LOGGERS:
            return
        if self._writer is not None and threading.current_thread() is self._writer:
            return
        try:
            line = record_to_store(record)
        except Exception:  # a broken %-format or extra: the stdout handler shows it
            self.dropped += 1
            return
        self._ensure_writer()
        try:
            self._queue.put_nowait(line)
        except queue.Full:
            self.dropped += 1

    def flush(self, timeout: float = 2.0) -> None:
        """Wait (at most `timeout` s) until the queued records are written or dropped."""
        if self._pid != os.getpid():
            return
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)

    def close(self) -> None:
        self.flush(timeout=1.0)
        super().close()

    def _ensure_writer(self) -> None:
        if self._pid == os.getpid():
            return
        with self._start_lock:
            if self._pid == os.getpid():
                return
            self._writer = threading.Thread(target=self._run, name="moon-logstore", daemon=True)
            self._writer.start()
            self._pid = os.getpid()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < BATCH_SIZE:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._write(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    def _write(self, batch: list[str]) -> None:
        if time.monotonic() < self._paused_until:
            self.dropped += len(batch)
            return
        try:
            if self._client is None:
                self._client = redis_client(self.url)
            pipe = self._client.pipeline(transaction=True)
            pipe.lpush(self.key, *batch)  # oldest first in, so the newest ends at the head
            pipe.ltrim(self.key, 0, self.max_records - 1)
            pipe.execute()
        except Exception:
            self.dropped += len(batch)
            self._paused_until = time.monotonic() + PAUSE_SECONDS


def level_number(level: int | str | None) -> int:
    """A level name (any case) or number as a number; None is every level."""
    if level is None or level == "":
        return logging.NOTSET
    if isinstance(level, int):
        return level
    number = logging.getLevelName(level.upper())
    if not isinstance(number, int):
        raise ValueError(f"unknown log level {level!r}")
    return number


def log_records(
    level: int | str | None = None,
    logger: str | None = None,
    text: str | None = None,
    since: datetime | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """The stored records, newest first: at `level` or above, from `logger` or its children,
    whose message (or traceback) contains `text` (any case), logged at or after `since`; at most
    `limit` (capped at MAX_LIMIT). Raises redis.RedisError when Redis does not answer."""
    minimum = level_number(level)
    needle = text.lower() if text else None
    after = since.timestamp() if since else None
    limit = max(0, min(limit, MAX_LIMIT))
    found: list[dict[str, Any]] = []
    for raw in redis_client().lrange(LOG_KEY, 0, -1):
        if len(found) >= limit:
            break
        record = json.loads(raw)
        if _matches(record, minimum, logger, needle, after):
            found.append(record)
    return found


def _matches(
    record: dict[str, Any],
    minimum: int,
    logger: str | None,
    needle: str | None,
    after: float | None,
) -> bool:
    if record.get("levelno", 0) < minimum:
        return False
    name = record.get("logger", "")
    if logger and name != logger and not name.startswith(logger + "."):
        return False
    if after is not None and record.get("ts", 0) < after:
        return False
    if needle is None:
        return True
    haystack = f"{record.get('message', '')}\n{record.get('exc_info', '')}".lower()
    return needle in haystack

"""What waits in Celery's queues on the real Redis broker."""

import base64
import json
from typing import Any

import redis


def queued_tasks(redis_client: redis.Redis, queue: str = "celery") -> list[tuple[str, Any, Any]]:
    """(task name, args, kwargs) of every message waiting in `queue` (the default one)."""
    messages = [json.loads(raw) for raw in redis_client.lrange(queue, 0, -1)]
    bodies = [json.loads(base64.b64decode(message["body"])) for message in messages]
    return [
        (message["headers"]["task"], args, kwargs)
        for message, (args, kwargs, _embed) in zip(messages, bodies, strict=True)
    ]

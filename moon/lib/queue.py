"""Queueing a Celery task from a request or the listener: at once, or a clear refusal.

Celery on its own retries a dead broker (and, for tasks that keep results, the result store)
for about 20 s while the caller hangs. Here the broker is pinged first with the shared client's
one-second timeout, and the task is sent by name without retries: a request answers within a
second whether Redis is there or not, and the caller never imports the task's module.
"""

import logging
from typing import Any

import redis
from celery import current_app
from django.conf import settings
from kombu.exceptions import OperationalError

from moon.lib.redis import redis_client

logger = logging.getLogger(__name__)


class QueueUnavailable(Exception):
    """The task queue (Redis) did not take the task; nothing was queued."""

    def __init__(self, task: str, reason: str) -> None:
        super().__init__(
            f"The task queue (Redis) is unreachable, so {task} was not queued ({reason}). "
            "Try again in a moment."
        )
        self.task = task


def task_send(name: str, *args: Any, **kwargs: Any) -> str:
    """Send the task registered as `name`; its id, or QueueUnavailable."""
    try:
        redis_client(settings.CELERY_BROKER_URL).ping()
        return str(current_app.send_task(name, args=args, kwargs=kwargs, retry=False).id)
    except (redis.RedisError, OperationalError, OSError, RuntimeError) as exc:
        logger.warning("could not queue %s: %s", name, exc)
        raise QueueUnavailable(name, f"{type(exc).__name__}: {exc}") from exc

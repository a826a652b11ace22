"""Queueing a Celery task from a request or the listener: at once, or a clear refusal.

Celery on its own retries a dead broker (and, for tasks that keep results, the result store)
for about 20 s while the caller hangs. Here the broker is pinged first with the shared client's
one-second timeout, and the task is sent by name without retries: a request answers within a
second whether Redis is there or not, and the caller never imports the task's module.
"""

import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import redis
from celery import current_app
from celery.result import AsyncResult
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


TRACKED_PREFIX = "moon:task:"


def task_send(
    name: str, *args: Any, track: bool = False, countdown: float | None = None, **kwargs: Any
) -> str:
    """Send the task registered as `name`; its id, or QueueUnavailable.

    ``countdown``: run it that many seconds from now at the earliest.
    ``track``: keep its state and result (whatever the task's own ignore_result says) and
    remember it was queued, so that ``task_status`` can answer for it for
    CELERY_RESULT_EXPIRES seconds.
    """
    options: dict[str, Any] = {"ignore_result": False} if track else {}
    if countdown is not None:
        options["countdown"] = countdown
    try:
        client = redis_client(settings.CELERY_BROKER_URL)
        client.ping()
        task_id = str(
            current_app.send_task(name, args=args, kwargs=kwargs, retry=False, **options).id
        )
        if track:
            queued = {"name": name, "queued_at": time.time()}
            client.set(
                TRACKED_PREFIX + task_id, json.dumps(queued), ex=settings.CELERY_RESULT_EXPIRES
            )
        return task_id
    except (redis.RedisError, OperationalError, OSError, RuntimeError) as exc:
        logger.warning("could not queue %s: %s", name, exc)
        raise QueueUnavailable(name, f"{type(exc).__name__}: {exc}") from exc


@dataclass(frozen=True)
class TaskStatus:
    task_id: str
    name: str
    queued_at: float
    state: str  # Celery's: PENDING (queued), STARTED, PROGRESS, RETRY, SUCCESS, FAILURE
    result: Any = None  # the task's answer once SUCCESS, its progress while PROGRESS
    error: str = ""  # once FAILURE

    @property
    def ready(self) -> bool:
        return self.state in {"SUCCESS", "FAILURE", "REVOKED"}


def task_status(task_id: str) -> TaskStatus | None:
    """A tracked task's state; None when no tracked task has that id (or it expired)."""
    client = redis_client(settings.CELERY_BROKER_URL)
    raw = client.get(TRACKED_PREFIX + task_id)
    if raw is None:
        return None
    queued = json.loads(raw)
    result: AsyncResult[Any] = AsyncResult(task_id, app=current_app)
    state = str(result.state)
    return TaskStatus(
        task_id=task_id,
        name=queued["name"],
        queued_at=queued["queued_at"],
        state=state,
        result=result.info if state in {"SUCCESS", "PROGRESS"} else None,
        error=f"{type(result.result).__name__}: {result.result}" if state == "FAILURE" else "",
    )

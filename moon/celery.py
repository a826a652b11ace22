"""The Celery app: configured from Django settings' CELERY_* names; tasks found in every app.

Each worker beats in Redis (moon.lib.heartbeat) from the moment it is ready: /health counts the
workers alive from those beats. Every line a task logs carries its task_id.
"""

import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_ready, worker_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "moon.settings")

app = Celery("moon")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

_heartbeats: dict[str, Any] = {}


@task_prerun.connect
def _task_log_context(task_id: str = "", task: Any = None, **kwargs: Any) -> None:
    """Every line a task logs names it: task_id and task."""
    from moon.lib.logging import log_context_set

    log_context_set(task_id=task_id, task=str(getattr(task, "name", "")))


@task_postrun.connect
def _task_log_context_end(**kwargs: Any) -> None:
    from moon.lib.logging import log_context_clear

    log_context_clear()


@worker_ready.connect
def _start_heartbeat(sender: Any = None, **kwargs: Any) -> None:
    from moon.lib.heartbeat import HeartbeatThread

    hostname = str(getattr(sender, "hostname", "") or f"worker@{os.uname().nodename}")
    thread = HeartbeatThread(hostname)
    thread.start()
    _heartbeats[hostname] = thread


@worker_shutdown.connect
def _stop_heartbeat(sender: Any = None, **kwargs: Any) -> None:
    for thread in _heartbeats.values():
        thread.stop()
    _heartbeats.clear()

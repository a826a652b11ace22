"""Celery tasks of alerts (queue `push`)."""

from celery import shared_task

from moon.push.services import DELIVER_TASK, delivery_send


@shared_task(name=DELIVER_TASK, ignore_result=True, time_limit=90, soft_time_limit=80)
def deliver(delivery_id: int) -> str:
    """Send one alert delivery (see moon.push.services.delivery_send)."""
    return delivery_send(delivery_id)

"""moon's own Celery tasks: watching the rest of the system."""

from celery import shared_task

from moon.operations.alerts import alerts_check


@shared_task(name="operations.check_alerts", ignore_result=True, time_limit=60, soft_time_limit=50)
def check_alerts() -> int:
    """Raise an alert for every new incident (see moon.operations.alerts); runs every minute."""
    return len(alerts_check())

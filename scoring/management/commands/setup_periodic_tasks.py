from typing import Any

from django.core.management.base import BaseCommand

from scoring.services.periodic import periodic_tasks_sync


class Command(BaseCommand):
    help = "Write moon's periodic tasks into django-celery-beat (idempotent; removes stale ones)."

    def handle(self, *args: Any, **options: Any) -> None:
        declared, removed = periodic_tasks_sync()
        self.stdout.write(
            self.style.SUCCESS(f"{declared} periodic tasks in place, {removed} stale removed")
        )

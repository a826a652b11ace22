"""Operations: health, metrics, version, the log API, /system/ and /logs/."""

from django.urls import path

from moon.operations import health, metrics, views
from moon.operations.api import LogRecordsView

urlpatterns = [
    path("health", health.health, name="health"),
    path("health/scheduler", health.health_scheduler, name="health-scheduler"),
    path("health/ingestion", health.health_ingestion, name="health-ingestion"),
    path("metrics", metrics.metrics, name="metrics"),
    path("version", health.version, name="version"),
    path("api/logs/", LogRecordsView.as_view(), name="api-logs"),
    path("system/", views.system, name="system"),
    path("logs/", views.logs, name="logs"),
]

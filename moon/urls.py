from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from moon import health, metrics, views
from moon.logs_api import LogRecordsView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health", health.health, name="health"),
    path("health/scheduler", health.health_scheduler, name="health-scheduler"),
    path("metrics", metrics.metrics, name="metrics"),
    path("version", health.version, name="version"),
    path("api/logs/", LogRecordsView.as_view(), name="api-logs"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("tokens.api.urls")),
    path("system/", views.system, name="system"),
    path("logs/", views.logs, name="logs"),
    path("lab/", include("scoring.urls_lab")),
    path("", include("scoring.urls")),
    path("", include("tokens.urls")),
]

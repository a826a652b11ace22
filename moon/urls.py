from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from moon import health

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health", health.health, name="health"),
    path("version", health.version, name="version"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("tokens.urls")),
]

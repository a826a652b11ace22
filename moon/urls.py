from django.contrib import admin
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from moon.web.api.urls import not_found as api_not_found


def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers and crawlers ask for /favicon.ico whatever the page links: the static icon."""
    return HttpResponsePermanentRedirect(static("moon/favicon.svg"))


urlpatterns = [
    path("favicon.ico", favicon),
    path("admin/", admin.site.urls),
    path("", include("moon.operations.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI and ReDoc from moon's own static files (drf-spectacular-sidecar), and the
    # Swagger UI set-up as a script of its own: no inline script, no CDN.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url_name="api-schema", template_name="api/redoc.html"),
        name="api-redoc",
    ),
    path("api/", include("moon.web.api.urls")),
    path("api/", include(api_not_found)),  # after every endpoint: a JSON 404 for the rest
    path("", include("moon.web.urls")),
]
handler500 = "moon.lib.apiview.server_error"

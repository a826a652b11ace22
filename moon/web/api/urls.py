"""/api/: the token endpoints, the scoring ones (settings, recalculation), the event stream
and the alert rules."""

from django.urls import path, re_path

from moon.lib.apiview import NotFoundView
from moon.web.api import alerts, stream, tasks
from moon.web.api import settings as scoring_api
from moon.web.api import tokens as views

# <path:mint> rather than <str:mint>: a mint with a "/" in it is malformed (400), not a route miss.
urlpatterns = [
    path("tokens/", views.TokenListView.as_view(), name="api-token-list"),
    path("tokens/<path:mint>/refresh/", views.TokenRefreshView.as_view(), name="api-token-refresh"),
    path("tokens/<path:mint>/pools/", views.TokenPoolsView.as_view(), name="api-token-pools"),
    path("tokens/<path:mint>/", views.TokenDetailView.as_view(), name="api-token-detail"),
    path("settings/", scoring_api.ScoringSettingsView.as_view(), name="api-settings"),
    path("admin/recalculate/", scoring_api.RecalculateView.as_view(), name="api-recalculate"),
    path("tasks/<str:task_id>/", tasks.TaskStatusView.as_view(), name="api-task"),
    path("stream/", stream.event_stream, name="api-stream"),
    path("alerts/rules/", alerts.AlertRuleListView.as_view(), name="api-alert-rules"),
    path("alerts/rules/<int:pk>/", alerts.AlertRuleDetailView.as_view(), name="api-alert-rule"),
    path("alerts/rules/<int:pk>/test/", alerts.AlertRuleTestView.as_view(), name="api-alert-test"),
    path("alerts/deliveries/", alerts.AlertDeliveryListView.as_view(), name="api-alert-deliveries"),
]
# Last, and included last by moon.urls: whatever no endpoint matched answers a JSON 404.
not_found = [re_path(r"^.*$", NotFoundView.as_view(), name="api-not-found")]

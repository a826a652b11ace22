"""Pages: the dashboard, a token's detail, the settings page, the backtest lab, alerts."""

from django.urls import include, path

from moon.web.pages import alerts, lab, settings, tokens, watchlist

lab_patterns = (
    [
        path("", lab.lab, name="index"),
        path("apply/", lab.lab_apply, name="apply"),
    ],
    "lab",
)
token_patterns = (
    [
        path("", tokens.dashboard, name="dashboard"),
        path("tokens/<str:mint>/", tokens.token_detail, name="detail"),
        path("tokens/<str:mint>/refresh/", tokens.token_refresh, name="refresh"),
        path("tokens/<str:mint>/row/", tokens.dashboard_row, name="row"),
        path("tokens/<str:mint>/watch/", watchlist.watch, name="watch"),
    ],
    "tokens",
)
settings_patterns = (
    [
        path("settings/", settings.settings_page, name="settings"),
        path("settings/revert/<int:version>/", settings.settings_revert, name="revert"),
        path("settings/preview/", settings.settings_preview, name="preview"),
    ],
    "scoring",
)

urlpatterns = [
    path("alerts/", alerts.alerts_page, name="alerts"),
    path("alerts/log/", alerts.delivery_log, name="alert-log"),
    path("alerts/<int:pk>/test/", alerts.alert_test, name="alert-test"),
    path("lab/", include(lab_patterns)),
    path("", include(settings_patterns)),
    path("", include(token_patterns)),
]

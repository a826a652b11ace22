from django.urls import path

from scoring import views

app_name = "scoring"
urlpatterns = [
    path("settings/", views.settings_page, name="settings"),
]

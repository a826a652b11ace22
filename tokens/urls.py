from django.urls import path

from tokens import views

app_name = "tokens"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("tokens/<str:mint>/", views.token_detail, name="detail"),
    path("tokens/<str:mint>/refresh/", views.token_refresh, name="refresh"),
]

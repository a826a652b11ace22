from django.urls import path

from scoring import views_lab

app_name = "lab"
urlpatterns = [
    path("", views_lab.lab, name="index"),
    path("apply/", views_lab.lab_apply, name="apply"),
]

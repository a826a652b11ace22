from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "moon.web"
    label = "web"
    verbose_name = "Pages and API"

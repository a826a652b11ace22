from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "moon.operations"
    label = "operations"
    verbose_name = "Operations"

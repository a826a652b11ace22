from django.apps import AppConfig


class MoonLibConfig(AppConfig):
    name = "moon.lib"
    label = "moon_lib"
    verbose_name = "Shared infrastructure"

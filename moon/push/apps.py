from django.apps import AppConfig


class PushConfig(AppConfig):
    name = "moon.push"
    label = "push"
    verbose_name = "Alerts"

    def ready(self) -> None:
        from moon.lib.events import events_published
        from moon.push.services import events_received

        events_published.connect(events_received, dispatch_uid="moon.push.events")

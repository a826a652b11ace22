from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "moon.web"
    label = "web"
    verbose_name = "Pages and API"

    def ready(self) -> None:
        from moon.web.pages import watchlist  # noqa: F401  (connects the sign-in receiver)

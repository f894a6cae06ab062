"""Dashboard and bulletin."""

from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "fangkong.dashboard"
    label = "dashboard"
    verbose_name = "Dashboard and bulletin"

    def ready(self) -> None:
        from .jobs import register

        register()

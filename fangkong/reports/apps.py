"""Unit reports."""

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "fangkong.reports"
    label = "reports"
    verbose_name = "Unit reports"

    def ready(self) -> None:
        from . import generate, receivers  # noqa: F401  (demo history; zero reports flagged by check-ins)

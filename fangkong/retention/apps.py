"""Retention periods and the purge job."""

from django.apps import AppConfig
from django.core import checks


class RetentionConfig(AppConfig):
    name = "fangkong.retention"
    label = "retention"
    verbose_name = "Retention periods and the purge job"

    def ready(self) -> None:
        from .jobs import register
        from .policy import check_periods

        checks.register(check_periods)
        register()

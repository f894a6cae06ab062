"""Notifications and reminders."""

from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "fangkong.notify"
    label = "notify"
    verbose_name = "Notifications and reminders"

    def ready(self) -> None:
        from . import generate  # noqa: F401  (history for `generate`)
        from .jobs import register_builtin

        register_builtin()

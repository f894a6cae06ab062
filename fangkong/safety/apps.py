"""Safety and environment."""

from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "fangkong.safety"
    label = "safety"
    verbose_name = "Safety and environment"

    def ready(self) -> None:
        from . import generate  # noqa: F401  (history for `fangkong generate` and `fangkong demo`)

"""Risk levels and control plans."""

from django.apps import AppConfig


class ControlsConfig(AppConfig):
    name = "fangkong.controls"
    label = "controls"
    verbose_name = "Risk levels and control plans"

    def ready(self) -> None:
        from . import generate  # noqa: F401  (registers the demo history)

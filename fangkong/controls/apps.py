from django.apps import AppConfig


class ControlsConfig(AppConfig):
    name = "fangkong.controls"
    label = "controls"
    verbose_name = "Risk levels and control plans"

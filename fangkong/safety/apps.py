from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "fangkong.safety"
    label = "safety"
    verbose_name = "Safety and environment"

from django.apps import AppConfig


class OverseasConfig(AppConfig):
    name = "fangkong.overseas"
    label = "overseas"
    verbose_name = "Overseas projects"

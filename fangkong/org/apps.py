from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "fangkong.org"
    label = "org"
    verbose_name = "Organisation"

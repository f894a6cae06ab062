"""Personal-data protection: field encryption, reveals, the access log."""

from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "fangkong.privacy"
    label = "privacy"
    verbose_name = "Personal-data protection: field encryption, reveals, the access log"

"""The soak run: faults, retries and reconciliation."""

from django.apps import AppConfig


class SoakConfig(AppConfig):
    name = "fangkong.soak"
    label = "soak"
    verbose_name = "The soak run: faults, retries and reconciliation"

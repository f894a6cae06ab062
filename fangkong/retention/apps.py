"""Retention periods and the purge job."""

from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "fangkong.retention"
    label = "retention"
    verbose_name = "Retention periods and the purge job"

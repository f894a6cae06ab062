from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "fangkong.reports"
    label = "reports"
    verbose_name = "Unit reports"

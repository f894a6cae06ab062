from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "fangkong.notify"
    label = "notify"
    verbose_name = "Notifications and reminders"

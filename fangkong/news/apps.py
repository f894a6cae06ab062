from django.apps import AppConfig


class NewsConfig(AppConfig):
    name = "fangkong.news"
    label = "news"
    verbose_name = "News column"

from django.apps import AppConfig


class CheckinsConfig(AppConfig):
    name = "fangkong.checkins"
    label = "checkins"
    verbose_name = "Health check-ins"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (roster changes move the day counters)

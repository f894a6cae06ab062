from django.apps import AppConfig


class CheckinsConfig(AppConfig):
    name = "fangkong.checkins"
    label = "checkins"
    verbose_name = "Health check-ins"

    def ready(self) -> None:
        from . import generate, receivers  # noqa: F401  (history for `generate`; roster changes move counters)

"""Privacy notices, consent and the legal basis for processing."""

from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "fangkong.consent"
    label = "consent"
    verbose_name = "Privacy notices, consent and the legal basis for processing"

    def ready(self) -> None:
        from . import generate  # noqa: F401  (generated people have accepted notice v1)

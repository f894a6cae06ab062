"""Overseas projects."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The header link (templates/base.html); here so that this app's catalogue translates it.
NAV_LABEL = _("Overseas")


class OverseasConfig(AppConfig):
    name = "fangkong.overseas"
    label = "overseas"
    verbose_name = "Overseas projects"

    def ready(self) -> None:
        from . import generate, hooks  # noqa: F401  (history for `generate`; controls' risk_changed)

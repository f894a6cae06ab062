"""Supplies and donations."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The header link (templates/base.html); here so that this app's catalogue translates it.
NAV_LABEL = _("Supplies")


class SuppliesConfig(AppConfig):
    name = "fangkong.supplies"
    label = "supplies"
    verbose_name = "Supplies and donations"

    def ready(self) -> None:
        from . import generate  # noqa: F401  (history for `fangkong generate` and `fangkong demo`)
        from .jobs import register

        register()  # the daily shortage scan

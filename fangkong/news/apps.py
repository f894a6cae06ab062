"""The news column (防疫专栏)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The header link (templates/base.html); here so that this app's catalogue translates it.
NAV_LABEL = _("News")


class NewsConfig(AppConfig):
    name = "fangkong.news"
    label = "news"
    verbose_name = "News column"

    def ready(self) -> None:
        from . import generate  # noqa: F401  (history for `fangkong generate` and `fangkong demo`)

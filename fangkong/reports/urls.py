"""Pages of the unit reports module (fangkong.reports.views)."""

from .views import urlpatterns

__all__ = ["urlpatterns"]

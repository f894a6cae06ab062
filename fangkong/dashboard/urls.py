"""Pages of the dashboard and bulletin module."""

from .views import urlpatterns

__all__ = ["urlpatterns"]

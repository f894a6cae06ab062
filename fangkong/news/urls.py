"""Pages of the news column (see views.py)."""

from .views import urlpatterns

__all__ = ["urlpatterns"]

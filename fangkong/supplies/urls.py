"""Pages of the supplies and donations module (see views.py)."""

from .views import urlpatterns

__all__ = ["urlpatterns"]

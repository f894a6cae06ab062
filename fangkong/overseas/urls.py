"""Pages of the overseas projects module (see views.py)."""

from .views import urlpatterns

__all__ = ["urlpatterns"]

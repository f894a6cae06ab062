"""Pages of the notifications and reminders module."""

from .views import urlpatterns

__all__ = ["urlpatterns"]

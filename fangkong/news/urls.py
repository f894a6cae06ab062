"""Pages of the news column module."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []

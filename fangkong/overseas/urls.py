"""Pages of the overseas projects module."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []

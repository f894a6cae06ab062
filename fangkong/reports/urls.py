"""Pages of the unit reports module."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []

"""Pages of the dashboard and bulletin module."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []

"""Pages of the safety and environment module."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []

"""Check-in pages: rules."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []

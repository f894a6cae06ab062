"""Check-in pages: upload."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []

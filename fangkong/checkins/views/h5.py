"""Check-in pages: h5."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []

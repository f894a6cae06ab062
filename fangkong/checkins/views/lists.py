"""Check-in pages: lists."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []

"""Check-in pages: proxy."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []

"""Pages of the risk levels and control plans module."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []

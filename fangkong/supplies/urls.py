"""Pages of the supplies and donations module."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []

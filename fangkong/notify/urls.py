"""Pages of the notifications and reminders module."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []

"""Notifications and reminders."""

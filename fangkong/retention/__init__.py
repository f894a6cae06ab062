"""Retention periods and the purge job."""

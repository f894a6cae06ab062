"""Overseas projects."""

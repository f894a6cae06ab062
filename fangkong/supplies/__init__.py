"""Supplies and donations."""

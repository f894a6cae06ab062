"""Unit reports."""

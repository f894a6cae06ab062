"""Check-in pages, one module per resource; each module lists its own urlpatterns."""

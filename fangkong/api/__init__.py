"""The JSON API under /api/v1/ (see root.py); one module per resource."""

"""API of the news column module.

The router is mounted at the root: paths are written in full after /api/v1."""

from ninja import Router

router = Router()

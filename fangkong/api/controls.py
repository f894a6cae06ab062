"""API of the risk levels and control plans module.

The router is mounted at the root: paths are written in full after /api/v1."""

from ninja import Router

router = Router()

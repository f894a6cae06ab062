"""API of the safety and environment module.

The router is mounted at the root: paths are written in full after /api/v1."""

from ninja import Router

router = Router()

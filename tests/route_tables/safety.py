"""Isolation table for the safety and environment routes.

See tests/test_isolation_routes.py, and ledger.py for an example."""

from __future__ import annotations

from .common import Call, Sample

PARAMS: dict[str, Sample] = {}
PAGES: dict[str, Call] = {}
API: dict[tuple[str, str], Call] = {}

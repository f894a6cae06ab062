"""Per-app tables of how to call each route in the isolation walk (tests/test_isolation_routes.py)."""

from . import (
    checkins,
    consent,
    controls,
    dashboard,
    ledger,
    news,
    notify,
    org,
    overseas,
    privacy,
    reports,
    retention,
    safety,
    supplies,
)
from .common import Call, Sample

_TABLES = (
    org,
    checkins,
    ledger,
    reports,
    controls,
    notify,
    safety,
    supplies,
    overseas,
    news,
    dashboard,
    privacy,
    consent,
    retention,
)
PARAMS: dict[str, Sample] = {k: v for t in _TABLES for k, v in t.PARAMS.items()}
PAGES: dict[str, Call] = {k: v for t in _TABLES for k, v in t.PAGES.items()}
API: dict[tuple[str, str], Call] = {k: v for t in _TABLES for k, v in t.API.items()}

__all__ = ["API", "PAGES", "PARAMS", "Call", "Sample"]

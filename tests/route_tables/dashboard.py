"""Isolation table for the dashboard and bulletin routes (see tests/test_isolation_routes.py)."""

from __future__ import annotations

from .common import Call, Sample

PARAMS: dict[str, Sample] = {}

PAGES: dict[str, Call] = {
    "dashboard_home": Call(kind="own"),
    "dashboard_unit": Call(),
    "dashboard_trends": Call("GET", {"span": "90"}),
    "dashboard_tiles": Call(),
    "dashboard_bulletin_pdf": Call(),
    "dashboard_bulletin_xlsx": Call(),
}

API: dict[tuple[str, str], Call] = {
    ("GET", "/api/v1/units/{code}/bulletin"): Call("GET", {"format": "xlsx"}),
}

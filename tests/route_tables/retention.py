"""Isolation table for the retention routes (form: see ledger.py).

The periods in force and the purge's runs are the leading group's: "group".
"""

from __future__ import annotations

from .common import Call, Sample

PARAMS: dict[str, Sample] = {}
PAGES: dict[str, Call] = {
    # the periods and the last runs (fangkong.retention.views): group admins and DPOs of the root
    "retention_status": Call(kind="group"),
}
API: dict[tuple[str, str], Call] = {}

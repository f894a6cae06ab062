"""Isolation table for the consent routes (form: see ledger.py)."""

from __future__ import annotations

from .common import Call, Sample

PARAMS: dict[str, Sample] = {}
PAGES: dict[str, Call] = {}
API: dict[tuple[str, str], Call] = {}

"""The figure providers, in the order the dashboard shows them (see ..figures)."""

from __future__ import annotations

from ..figures import Provider
from .checkins import CheckinFigures
from .ledger import LedgerFigures
from .others import ControlFigures, ReportFigures, SafetyFigures

PROVIDERS: list[Provider] = [
    CheckinFigures(),
    LedgerFigures(),
    ReportFigures(),
    ControlFigures(),
    SafetyFigures(),
]


def active() -> list[Provider]:
    """The providers whose module is installed and answers."""
    return [p for p in PROVIDERS if p.available()]

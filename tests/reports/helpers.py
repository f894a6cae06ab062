"""Report test helpers: the shipped types, local instants, check-ins at a given moment."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal

from fangkong.checkins.actions import CheckinData, submit_checkin
from fangkong.checkins.models import Source
from fangkong.lib.dates import local_time
from fangkong.reports.defaults import load_defaults
from fangkong.reports.models import ReportType

DAY = date(2026, 11, 20)  # a Friday
VALUES = {"on_site": 2, "isolated": 0, "new_confirmed": 0}


def epidemic() -> ReportType:
    load_defaults()
    return ReportType.objects.select_related("category").get(code="epidemic_daily")


def at(unit, day: date = DAY, hh: int = 9, mm: int = 0, ss: int = 0) -> datetime:
    """An instant at local wall-clock time hh:mm:ss on `day` in the unit's own zone."""
    return local_time(unit.timezone, day, time(hh, mm, ss))


def checkin(person, now: datetime, *, card: str = "green", actor="test"):
    """A self check-in captured `now` that makes a green, yellow (contact) or red (fever) card."""
    data = CheckinData(
        id=uuid.uuid4(),
        temperature=Decimal("38.5" if card == "red" else "36.5"),
        symptoms=["cough"] if card == "red" else [],
        contact=card == "yellow",
    )
    created, _ = submit_checkin(actor, person, data, source=Source.SELF, now=now)
    return created

"""Ledger test helpers: a red check-in, and an item opened directly."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from fangkong.checkins.actions import CheckinData, submit_checkin
from fangkong.checkins.models import Source
from fangkong.ledger import actions
from fangkong.ledger.models import Item, Kind


def red_checkin(person, *, temperature: str = "38.2", symptoms=("cough",), actor=None):
    """A self check-in that turns the card red; returns the check-in."""
    data = CheckinData(id=uuid.uuid4(), temperature=Decimal(temperature), symptoms=list(symptoms))
    checkin, _created = submit_checkin(actor or "test", person, data, source=Source.SELF)
    return checkin


def open_item(unit, *, person=None, owner=None, due_in: timedelta = timedelta(hours=24), **kw) -> Item:
    key = kw.pop("key", f"test:{uuid.uuid4()}")
    item, _created = actions.open_item(
        "test",
        kind=kw.pop("kind", Kind.HEALTH_ANOMALY),
        key=key,
        unit=unit,
        person=person,
        owner=owner,
        title=kw.pop("title", "艾丽 (A0001): red card"),
        due_at=timezone.now() + due_in,
        detail=kw.pop("detail", {"temperature": "38.9", "symptoms": ["cough", "fatigue"]}),
    )
    return item

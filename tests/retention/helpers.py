"""Retention test helpers: a fixed "today", its cutoffs, check-ins on a given business day."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from fangkong.checkins.actions import CheckinData, submit_checkin
from fangkong.checkins.models import CheckIn, Source
from fangkong.lib.dates import day_bounds, local_time
from fangkong.org.models import Person

TODAY = date(2026, 11, 20)
ZONE = "Asia/Shanghai"  # the test settings' TIME_ZONE and the personas' zone
# The first business day kept, per class (defaults: 90 and 180 days).
CHECKIN_CUTOFF = TODAY - timedelta(days=90)
ITEM_CUTOFF = TODAY - timedelta(days=180)
PERSON_CUTOFF = TODAY - timedelta(days=180)
NOTIFY_CUTOFF = TODAY - timedelta(days=180)


def start_of(day: date, tz: str = ZONE) -> datetime:
    return day_bounds(tz, day)[0]


def checkin(person: Person, day: date, *, card: str = "green", at: time = time(9)) -> CheckIn:
    """A self check-in on the person's business day `day` (submitted that morning), with a place and
    a trajectory; red: fever and a cough (which opens a health item)."""
    now = local_time(person.enterprise.timezone, day, at)
    data = CheckinData(
        id=uuid.uuid4(),
        temperature=Decimal("38.5" if card == "red" else "36.5"),
        symptoms=["cough"] if card == "red" else [],
        contact=card == "yellow",
        location="110105",
        visited=["420106"],
        note="在家",
        captured_at=now,
    )
    created, _ = submit_checkin("test", person, data, source=Source.SELF, now=now)
    return created

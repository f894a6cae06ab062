"""A small day of data on the personas' world, direct counts, and reading numbers off the page."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from fangkong.checkins.actions import CheckinData, add_exemption, submit_checkin
from fangkong.checkins.models import CheckIn, Exemption
from fangkong.ledger import actions as ledger
from fangkong.ledger.models import OPEN_STATES, Item, Kind
from fangkong.lib.dates import business_day, day_bounds
from fangkong.org.models import Membership, Unit
from tests.factories import World, person


def populate(w: World) -> date:
    """Eight more people; today: check-ins (one red, one yellow), an exemption, an overdue item."""
    now = timezone.now()
    day = business_day("Asia/Shanghai", now)
    # Captured a little before now, but never before local midnight: the check-ins are today's.
    captured = max(now - timedelta(minutes=5), day_bounds("Asia/Shanghai", day)[0])
    extra = [person(u, f"X{i:04d}", name=f"员工{i}") for i, u in enumerate([w.grid1, w.grid2, w.e2] * 3)]
    temps = [Decimal("36.5")] * len(extra)
    temps[0] = Decimal("38.4")  # red
    for i, (p, t) in enumerate(zip(extra[:6], temps, strict=False)):
        data = CheckinData(id=uuid.uuid4(), temperature=t, contact=(i == 1), captured_at=captured)
        submit_checkin("test", p, data, source="proxy", now=now)
    submit_checkin(
        "test", w.alice, CheckinData(id=uuid.uuid4(), temperature=Decimal("36.6")), source="self", now=now
    )
    add_exemption("test", extra[7], start=day, end=day, reason="leave")
    ledger.open_item(
        "test",
        kind=Kind.OTHER,
        key="dash-overdue",
        unit=w.grid2,
        title="对账",
        due_at=now - timedelta(hours=30),
    )
    return day


def direct(u: Unit, day: date) -> dict[str, int]:
    """The day's figures counted straight from the roster, check-ins, exemptions and items."""
    expected = set(
        Membership.objects.filter(unit__path__startswith=u.path, start__lte=day)
        .exclude(end__lte=day)
        .values_list("person_id", flat=True)
    )
    current = [c for c in CheckIn.objects.filter(day=day, current=True) if c.person_id in expected]
    reported = {c.person_id for c in current}
    exempt = {
        e.person_id
        for e in Exemption.objects.filter(start__lte=day, end__gte=day, cancelled_at=None)
        if e.person_id in expected and e.person_id not in reported
    }
    items = Item.objects.filter(unit__path__startswith=u.path, state__in=OPEN_STATES)
    return {
        "expected": len(expected),
        "checked_in": len(current),
        "exempt": len(exempt),
        "missing": len(expected) - len(current) - len(exempt),
        "red": sum(1 for c in current if c.card == "red"),
        "yellow": sum(1 for c in current if c.card == "yellow"),
        "open_items": items.count(),
        "overdue_items": items.filter(due_at__lt=timezone.now()).count(),
    }


def number(text: str) -> float | int | None:
    """A figure as shown ("1,234", "97.5%", "—") back to a number."""
    text = text.strip()
    if text in ("—", ""):
        return None
    text = text.replace(",", "").rstrip("%")
    return float(text) if "." in text else int(text)


FIGURE = re.compile(r'<div class="figure" data-key="(\w+)">.*?class="figure-value"[^>]*>([^<]*)<', re.S)
CELL = re.compile(r'<td class="num" data-key="(\w+)" data-sort="[^"]*">(?:<a [^>]*>)?([^<]*)<')
ROW = re.compile(r'<tr data-code="([^"]+)">(.*?)</tr>', re.S)


def page_figures(html: str) -> dict[str, float | int | None]:
    return {k: number(v) for k, v in FIGURE.findall(html)}


def page_children(html: str) -> dict[str, dict[str, float | int | None]]:
    return {code: {k: number(v) for k, v in CELL.findall(row)} for code, row in ROW.findall(html)}


def aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))

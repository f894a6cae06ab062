"""Re-screening a region that many people's check-ins name: past one chunk of the people's read
(a province of the generated million names ~100 000, past PostgreSQL's 65 535 parameters a
statement), and past the count from which the ledger's items are written by COPY."""

from datetime import date

import pytest

from fangkong.checkins.models import CheckIn
from fangkong.controls import actions
from fangkong.controls.models import RescreenEntry
from fangkong.ledger.models import Event, Item, Kind
from fangkong.org.imports.base import BATCH
from fangkong.org.models import Person, Unit
from tests.factories import checkin_row, unit

TODAY = date(2026, 3, 20)
MANY = BATCH + 50


@pytest.fixture
def many(db):
    g = unit("G", Unit.Kind.GROUP)
    e = unit("E1", Unit.Kind.ENTERPRISE, unit("S1", Unit.Kind.SEGMENT, g))
    grid = unit("E1-G1", Unit.Kind.GRID, e)
    # Rows only (add_person's placement, consent and audit are not what re-screening reads).
    people = Person.objects.bulk_create(
        Person(employee_no=f"M{i:04d}", name="张三", unit=grid, enterprise=e, joined_on=date(2020, 1, 1))
        for i in range(MANY)
    )
    CheckIn.objects.bulk_create(
        checkin_row(p, date(2026, 3, 19), location="420106")
        if i % 2
        else checkin_row(p, date(2026, 3, 19), visited=["420111"])
        for i, p in enumerate(people)
    )
    return people


def test_everyone_is_rescreened_and_at_high_each_is_linked_to_their_own_open_item(many):
    # Medium: everyone listed, no item.
    out = actions.set_region_risk("test", "420100", "medium", TODAY, source="api", today=TODAY)
    assert len(out.rescreened) == MANY
    medium = RescreenEntry.objects.filter(region_id="420100")
    assert sorted(medium.values_list("person_id", flat=True)) == sorted(p.pk for p in many)
    assert not medium.exclude(item=None).exists()
    assert not Item.objects.filter(kind=Kind.RISK_RESCREEN).exists()
    # High: an item each, opened with its event, and each entry names its person's item.
    out = actions.set_region_risk("test", "420000", "high", TODAY, source="api", today=TODAY)
    assert len(out.rescreened) == MANY
    items = Item.objects.filter(kind=Kind.RISK_RESCREEN)
    first = dict(items.values_list("person_id", "pk"))
    assert len(first) == MANY == Event.objects.filter(item__in=items, type=Event.Type.OPENED).count()
    assert all(i.uid and i.state == "open" and i.version == 1 for i in items)
    high = RescreenEntry.objects.filter(region_id="420000")
    assert dict(high.values_list("person_id", "item_id")) == first
    seen = list(high.values_list("pk", flat=True))
    # Down and up again: no second item, and the new entries name the open ones.
    actions.set_region_risk("test", "420000", "medium", TODAY, source="api", today=TODAY)
    actions.set_region_risk("test", "420000", "high", TODAY, source="api", today=TODAY)
    assert items.count() == MANY
    again = RescreenEntry.objects.filter(region_id="420000", level="high").exclude(pk__in=seen)
    assert dict(again.values_list("person_id", "item_id")) == first

"""The bench's reset: every run starts from the same empty morning."""

import uuid
from decimal import Decimal

import pytest
from django.db import connection

from fangkong.bench import setup
from fangkong.checkins.actions import CheckinData, submit_checkin
from fangkong.checkins.models import CheckIn, UnitDay
from fangkong.ledger.models import Item, Kind
from fangkong.lib.dates import business_day
from tests.ledger.helpers import open_item


def _red(person):
    data = CheckinData(id=uuid.uuid4(), temperature=Decimal("38.6"))
    return submit_checkin("test", person, data, source="self")[0]


# On PostgreSQL the reset vacuums the tables, which cannot run inside the test's transaction.
@pytest.mark.django_db(transaction=connection.vendor == "postgresql")
def test_the_reset_empties_the_morning_with_the_health_items_it_opened(w):
    """Today's check-ins, counters and the health items today's red cards opened go; an item opened
    otherwise stays. A red card after the reset opens its item again, as in the run before."""
    today = business_day(w.e1.timezone)
    _red(w.alice)
    kept = open_item(w.grid2, person=w.bob, detail={"day": "2020-01-01"})

    done = setup.reset_today()

    assert done["deleted"] == 1 and done["items_deleted"] == 1
    assert not CheckIn.objects.filter(day=today).exists()
    assert UnitDay.objects.get(unit=w.grid1, day=today).red == 0
    assert list(Item.objects.all()) == [kept]
    _red(w.alice)
    assert Item.objects.filter(kind=Kind.HEALTH_ANOMALY, person=w.alice).count() == 1

"""The generated check-in history is consistent: counters equal direct counts, one item per red person."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from fangkong.checkins.models import CheckIn, UnitDay
from fangkong.checkins.rollup import rollup
from fangkong.ledger.models import Item
from fangkong.org.models import Person, Unit


@pytest.mark.django_db
def test_history_counters_match_the_checkins_and_red_cards_have_items():
    call_command("generate", employees=600, days=5, seed=3, no_migrate=True, stdout=io.StringIO())
    today = timezone.localdate()
    assert CheckIn.objects.values("day").distinct().count() == 5
    per_unit_day = {
        (r["unit_id"], r["day"]): r["n"]
        for r in CheckIn.objects.filter(current=True).values("unit_id", "day").annotate(n=Count("pk"))
    }
    assert per_unit_day == {(u.unit_id, u.day): u.checked_in for u in UnitDay.objects.all()}
    group = Unit.objects.get(code="G")
    for day in (today, today - timedelta(days=4)):
        figures = rollup(group, day)
        assert figures["expected"] == Person.objects.count()
        assert figures["checked_in"] == CheckIn.objects.filter(day=day).count()
        assert figures["missing"] == figures["expected"] - figures["checked_in"] - figures["exempt"]
    red_people = set(CheckIn.objects.filter(card="red").values_list("person_id", flat=True))
    assert set(Item.objects.filter(kind="health_anomaly").values_list("person_id", flat=True)) == red_people
    assert Item.objects.filter(kind="health_anomaly", state="open").count() <= len(red_people)

"""The generated check-in history is consistent: counters equal direct counts, one item per red person."""

import hashlib
import io
import uuid
from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from fangkong.checkins.models import CheckIn, RuleSet, UnitDay
from fangkong.checkins.rollup import rollup
from fangkong.checkins.rules import current_rules, evaluate
from fangkong.consent.models import Acceptance
from fangkong.ledger.models import Item
from fangkong.notify.models import Run
from fangkong.org.generate import generate_group
from fangkong.org.models import Person, Unit
from fangkong.reports.models import UnitReport
from fangkong.safety.models import Incident, Visit


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


@pytest.mark.django_db
def test_generated_checkins_have_the_cards_the_rules_give_and_morning_times():
    """Each generated check-in as the app would store it: a version-4 id, the card and reasons the
    rules give for its values, captured between 07:00 and 09:30 local time on its day in its
    enterprise's zone, received two seconds later."""
    call_command("generate", employees=600, days=5, seed=3, no_migrate=True, stdout=io.StringIO())
    rules = current_rules()
    zones = {
        pk: ZoneInfo(tz) for pk, tz in Unit.objects.filter(kind="enterprise").values_list("pk", "timezone")
    }
    checkins = list(CheckIn.objects.all())
    assert len(checkins) > 2000
    assert {ci.card for ci in checkins} == {"green", "yellow", "red"}
    for ci in checkins:
        assert (ci.id.version, ci.id.variant) == (4, uuid.RFC_4122)
        card, reasons = evaluate(
            rules, temperature=ci.temperature, symptoms=ci.symptoms, contact=ci.contact, visited=ci.visited
        )
        assert (ci.card, ci.card_reasons) == (card, reasons), ci.pk
        local = ci.captured_at.astimezone(zones[ci.enterprise_id])
        assert local.date() == ci.day and time(7) <= local.time() < time(9, 30), (ci.pk, local)
        assert ci.received_at - ci.captured_at == timedelta(seconds=2)


def _history_digest() -> str:
    """The generated history's rows by their ids and values (not the run's own timestamps, nor keys
    made of database ids, which a reset does not rewind)."""
    from fangkong.overseas.models import Project
    from fangkong.supplies.models import Donation, Movement

    rows = (
        list(
            CheckIn.objects.order_by("pk").values_list(
                "pk", "person__employee_no", "day", "card", "temperature"
            )
        ),
        list(
            Movement.objects.order_by("uid").values_list(
                "uid", "stock__item__code", "kind", "quantity", "day"
            )
        ),
        list(Donation.objects.order_by("uid").values_list("uid", "receipt_no", "amount")),
        list(Project.objects.order_by("uid").values_list("uid", "name", "enterprise__code")),
        sorted(Item.objects.values_list("kind", "state", "unit__code", "title")),
    )
    assert all(rows), [len(r) for r in rows]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


@pytest.mark.django_db
def test_the_same_seed_generates_the_same_history_ids_included():
    """Two runs with one seed write the same rows under the same ids (check-ins, supply movements and
    donations, overseas projects) and open the same ledger items; another seed does not. The second
    run (--reset) keeps the supply catalogue and the card rules the first run's data was made with."""
    call_command("generate", employees=300, days=3, seed=5, no_migrate=True, stdout=io.StringIO())
    first = _history_digest()
    call_command("generate", employees=300, days=3, seed=5, reset=True, no_migrate=True, stdout=io.StringIO())
    assert _history_digest() == first
    assert set(CheckIn.objects.values_list("rule_version", flat=True)) <= set(
        RuleSet.objects.values_list("version", flat=True)
    )
    call_command("generate", employees=300, days=3, seed=6, reset=True, no_migrate=True, stdout=io.StringIO())
    assert _history_digest() != first


def _timestamps_digest() -> str:
    """The generated rows' own times: when consents were given, reports submitted and reviewed,
    incidents reported, inspections made, reminders sent, people updated, and which measures were
    overdue (rows the clock stamps on insert, `auto_now_add`, are left out)."""
    rows = (
        sorted(Acceptance.objects.values_list("person__employee_no", "accepted_at")),
        sorted(Person.objects.values_list("employee_no", "updated_at")),
        sorted(
            UnitReport.objects.values_list(
                "unit__code", "report_type__code", "period_start", "submitted_at", "updated_at", "reviewed_at"
            ),
            key=repr,
        ),
        sorted(Incident.objects.values_list("unit__code", "kind", "occurred_at", "reported_at")),
        sorted(Visit.objects.values_list("unit__code", "visited_at")),
        sorted(Run.objects.values_list("key", "due_at", "finished_at")),
        sorted(Item.objects.filter(kind="measure_unattested").values_list("unit__code", "title", "due_at")),
    )
    assert all(rows), [len(r) for r in rows]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


@pytest.mark.django_db
def test_the_same_seed_and_present_moment_generate_the_same_times():
    """A run's "now" is one value, given or the clock's: two runs with one seed and one `now` write the
    same times into the rows the generators make (and the same reports, reminders and overdue items,
    which depend on what has happened by then)."""
    now = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    generate_group(employees=300, days=3, seed=5, now=now, write=lambda _: None)
    first = _timestamps_digest()
    generate_group(employees=300, days=3, seed=5, now=now, reset=True, write=lambda _: None)
    assert _timestamps_digest() == first
    assert set(Acceptance.objects.values_list("accepted_at", flat=True)) == {now}

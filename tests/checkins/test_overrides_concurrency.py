"""On PostgreSQL: overrides racing with amendments of the same person-day keep the counters true."""

import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connection, connections

from fangkong.checkins import overrides
from fangkong.checkins.actions import CheckinData, submit_checkin
from fangkong.checkins.models import CheckIn, UnitDay
from fangkong.org.models import Person
from tests.factories import world

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers; proves nothing"),
]

ROUNDS = 30


def test_overrides_and_amendments_of_one_day_leave_counters_that_match_the_rows():
    w = world()
    first = submit_checkin("test", w.alice, CheckinData(uuid.uuid4(), Decimal("38.0")), source="self")[0]
    day = first.day
    barrier = threading.Barrier(2)

    def amend() -> None:
        try:
            person = Person.objects.select_related("enterprise", "unit").get(pk=w.alice.pk)
            for r in range(ROUNDS):
                barrier.wait()
                temperature = Decimal("38.0") if r % 2 else Decimal("36.5")
                submit_checkin("test", person, CheckinData(uuid.uuid4(), temperature), source="self")
        finally:
            connections.close_all()

    def override() -> None:
        try:
            person = Person.objects.select_related("enterprise", "unit").get(pk=w.alice.pk)
            for r in range(ROUNDS):
                barrier.wait()
                card = "yellow" if r % 2 else "green"
                overrides.override_card(w.enterprise_admin, person, day, card=card, reason=f"round {r}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=amend), threading.Thread(target=override)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    current = CheckIn.objects.get(person=w.alice, day=day, current=True)
    counters = UnitDay.objects.get(unit=w.grid1, day=day)
    assert counters.checked_in == 1
    assert (counters.red, counters.yellow) == (int(current.card == "red"), int(current.card == "yellow"))

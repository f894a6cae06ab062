"""The hand-written statements of the check-in path read exactly what the ORM reads (both databases)."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from fangkong.checkins import statements
from fangkong.checkins.actions import CheckinData, add_exemption, submit_checkin
from fangkong.checkins.models import CheckIn
from fangkong.org.models import Person, Unit


def _fields(obj, model) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields}


def test_the_current_checkin_reads_like_the_orm(w):
    data = CheckinData(
        uuid.uuid4(), Decimal("37.8"), symptoms=["cough"], location="110105", visited=["110105"], note="咳嗽"
    )
    stored, created = submit_checkin(w.grid_leader, w.alice, data, source="proxy")
    assert created
    with transaction.atomic():
        read = statements.lock_with_current(w.alice.pk, stored.day)
    orm = CheckIn.objects.get(pk=data.id)
    assert read is not None and _fields(read, CheckIn) == _fields(orm, CheckIn)
    assert read.card == "red" and read.temperature == Decimal("37.8") and read.symptoms == ["cough"]


def test_people_read_like_the_orm_with_the_check_in_hints(w):
    today = timezone.localdate()
    add_exemption("test", w.bob, start=today, end=today + timedelta(days=2), reason="leave")
    found = {p.employee_no: p for p in statements.people(employee_nos=["A0001", "B0001", "NOPE"])}
    assert set(found) == {"A0001", "B0001"}
    for no, p in found.items():
        orm = Person.objects.select_related("unit", "enterprise").get(employee_no=no)
        deferred = {"id_number", "mobile"}
        assert {k: v for k, v in _fields(p, Person).items() if k not in deferred} == {
            k: v for k, v in _fields(orm, Person).items() if k not in deferred
        }
        assert _fields(p.unit, Unit) == _fields(orm.unit, Unit)
        assert _fields(p.enterprise, Unit) == _fields(orm.enterprise, Unit)
        assert (p.placed_unit_id, p.placed_since) == (orm.unit_id, orm.joined_on)
        assert p.id_number == orm.id_number  # the encrypted identifiers are read on demand
    assert (found["A0001"].may_be_exempt, found["B0001"].may_be_exempt) == (False, True)
    assert found["A0001"].consent_standing is True
    assert [p.employee_no for p in statements.people(pks=[w.alice.pk])] == ["A0001"]


def test_a_replayed_id_of_an_earlier_version_is_answered_from_the_stored_row(w):
    """The insert's primary key catches an id stored before (no read by id on the hot path)."""
    first = CheckinData(uuid.uuid4(), Decimal("36.5"))
    submit_checkin("test", w.alice, first, source="self")
    submit_checkin("test", w.alice, CheckinData(uuid.uuid4(), Decimal("36.6")), source="self")
    again, created = submit_checkin("test", w.alice, first, source="self")
    assert not created and again.pk == first.id and again.version == 1 and not again.current
    assert CheckIn.objects.filter(person=w.alice, current=True).count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan cache")
def test_the_check_in_statements_are_planned_once_per_connection_not_per_call(w):
    """Prepared statements only save PostgreSQL's planning if it keeps their generic plan: an array
    parameter for one person, or a generic estimate above the planned one, had it plan the person
    read (~0.5 ms at a million people) and the current read on every check-in."""
    # psycopg prepares a statement on its 5th execution; PostgreSQL plans the first 5 executions of a
    # prepared statement per call, then keeps the generic plan unless it looks dearer.
    for _ in range(14):
        statements.people(employee_nos=["A0001"])
        submit_checkin("test", w.alice, CheckinData(uuid.uuid4(), Decimal("36.5")), source="self")
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
        plans = cursor.fetchall()
    # The single-person read (a batch's read of many people keeps `= ANY`, planned per call by design).
    person_read = [p for p in plans if 'FROM "org_person" p JOIN' in p[0] and "p.employee_no = $" in p[0]]
    current_read = [p for p in plans if 'FROM "checkins_checkin" c WHERE c.person_id' in p[0]]
    assert person_read and current_read
    for _, generic, custom in person_read + current_read:
        assert custom == 5 and generic >= 4

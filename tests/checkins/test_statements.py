"""The hand-written statements of the check-in path read exactly what the ORM reads (both databases)."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fangkong.audit.actions import verify
from fangkong.audit.models import AuditEntry
from fangkong.checkins import statements
from fangkong.checkins.actions import (
    CheckinConflict,
    CheckinData,
    add_exemption,
    open_unit_day,
    submit_checkin,
)
from fangkong.checkins.models import CheckIn, UnitDay
from fangkong.checkins.rules import current_rules
from fangkong.ledger.models import Item
from fangkong.lib.dates import business_day
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


def _ready(person: Person) -> Person:
    """The person as a check-in reads it (statements.people), its unit-day's counter row made: a
    first check-in of the day then takes the single statement."""
    current_rules()  # (made on first use)
    found = statements.people(pks=[person.pk])[0]
    open_unit_day(found.unit_id, business_day(found.enterprise.timezone))
    return found


def _writes(queries) -> list[str]:
    return [q["sql"] for q in queries if not q["sql"].startswith(("SELECT", "SAVEPOINT", "RELEASE"))]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the single statement is PostgreSQL's")
def test_a_first_green_check_in_is_one_statement_with_its_counters_and_audit_row(w):
    alice = _ready(w.alice)
    day = business_day(alice.enterprise.timezone)
    data = CheckinData(uuid.uuid4(), Decimal("36.5"))
    with CaptureQueriesContext(connection) as queries:
        stored, created = submit_checkin(w.grid_leader, alice, data, source="proxy")
    writes = _writes(queries.captured_queries)
    assert len(writes) == 1 and writes[0].startswith("WITH stored AS (INSERT")
    assert created and stored.version == 1 and CheckIn.objects.get(pk=data.id).card == "green"
    counters = UnitDay.objects.get(unit_id=alice.unit_id, day=day)
    assert (counters.checked_in, counters.on_site, counters.red) == (1, 1, 0)
    entry = AuditEntry.objects.get(object_id=str(data.id))
    assert entry.action == "checkin.proxy" and entry.actor == "grid_leader" and entry.unit_code == "E1"
    assert entry.detail == {"person": "A0001", "day": day.isoformat(), "version": 1}
    # PostgreSQL hashed the row over the text `verify` recomputes, after the rows before it.
    fever = CheckinData(uuid.uuid4(), Decimal("38.5"))
    amended, _ = submit_checkin(w.grid_leader, alice, fever, source="proxy")
    assert amended.version == 2 and amended.card == "red"
    assert verify() == (AuditEntry.objects.count(), None)
    counters.refresh_from_db()
    assert (counters.checked_in, counters.red) == (1, 1)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's storage parameters")
def test_counter_updates_write_no_index_entries(w):
    """The unit-day rows every check-in updates leave room on their pages and have no index on a
    counter: PostgreSQL updates them in place (heap-only), writing none of the table's indexes."""
    alice = _ready(w.alice)
    for temperature in ("36.5", "38.5", "36.6"):
        submit_checkin(w.grid_leader, alice, CheckinData(uuid.uuid4(), Decimal(temperature)), source="proxy")
    table = UnitDay._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [table])
        assert cursor.fetchone()[0] == ["fillfactor=50"]
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [table])
        indexed = sorted(d.partition("USING btree ")[2] for (d,) in cursor.fetchall())
        assert indexed == ["(day, unit_id)", "(id)", "(unit_id, day)"]
        cursor.execute(
            "SELECT pg_stat_get_xact_tuples_updated(%s::regclass), "
            "pg_stat_get_xact_tuples_hot_updated(%s::regclass)",
            [table, table],
        )
        updated, in_place = cursor.fetchone()
    assert updated >= 3 and in_place == updated


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's partial indexes")
def test_a_persons_own_check_in_writes_five_indexes(w):
    """The submitter's and the device's indexes keep only the rows that name one: a check-in from
    the person's phone is written to the table and five indexes."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [CheckIn._meta.db_table])
        indexes = [d.partition("USING btree ")[2] for (d,) in cursor.fetchall()]
    every_row = sorted(d for d in indexes if "WHERE" not in d)
    assert every_row == ["(enterprise_id, day, card)", "(id)", "(person_id, day, version)", "(unit_id, day)"]
    assert sorted(d for d in indexes if "WHERE" in d) == [
        "(device_id) WHERE (device_id IS NOT NULL)",
        "(person_id, day) WHERE current",
        "(submitted_by_id) WHERE (submitted_by_id IS NOT NULL)",
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the single statement is PostgreSQL's")
def test_what_the_single_statement_does_not_answer_takes_the_transaction_path(w):
    alice = _ready(w.alice)
    first = CheckinData(uuid.uuid4(), Decimal("36.5"))
    assert submit_checkin("test", alice, first, source="self")[1]
    # A replay and an amendment meet the unique indexes: nothing is written twice.
    again, created = submit_checkin("test", alice, first, source="self")
    assert not created and again.pk == first.id
    with pytest.raises(CheckinConflict):
        submit_checkin("test", alice, CheckinData(first.id, Decimal("36.9")), source="self")
    amended, _ = submit_checkin("test", alice, CheckinData(uuid.uuid4(), Decimal("36.6")), source="self")
    assert amended.version == 2
    # A red card opens its ledger item in the check-in's transaction.
    bob = _ready(w.bob)
    red, _ = submit_checkin("test", bob, CheckinData(uuid.uuid4(), Decimal("39.0")), source="self")
    assert red.card == "red" and Item.objects.filter(person=w.bob).count() == 1
    assert CheckIn.objects.filter(current=True).count() == 2
    assert sum(UnitDay.objects.values_list("checked_in", flat=True)) == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the single statement is PostgreSQL's")
def test_an_exempt_persons_first_check_in_leaves_the_exempt_count_in_the_single_statement(w):
    """A person on leave who checks in all the same counts as reported, no longer as exempt; one whose
    exemption ended yesterday was not counted as exempt today and leaves the count alone. The
    counters equal a recount from the exemptions and check-ins."""
    from fangkong.checkins.rollup import recount_exempt

    today = business_day(w.e1.timezone)
    add_exemption("test", w.alice, start=today, end=today + timedelta(days=3), reason="leave")
    add_exemption(
        "test", w.bob, start=today - timedelta(days=5), end=today - timedelta(days=1), reason="business_trip"
    )
    alice, bob = _ready(w.alice), _ready(w.bob)
    assert alice.may_be_exempt and bob.may_be_exempt  # both take the exempt variant of the statement
    assert UnitDay.objects.get(unit_id=alice.unit_id, day=today).exempt == 1

    for person in (alice, bob):
        with CaptureQueriesContext(connection) as queries:
            stored, created = submit_checkin(
                w.grid_leader, person, CheckinData(uuid.uuid4(), Decimal("36.5")), source="proxy"
            )
        writes = _writes(queries.captured_queries)
        assert created and len(writes) == 1 and writes[0].startswith("WITH stored AS (INSERT")

    counted = {u.unit_id: (u.checked_in, u.exempt) for u in UnitDay.objects.filter(day=today)}
    assert counted[alice.unit_id] == (1, 0) and counted[bob.unit_id] == (1, 0)
    recount_exempt((unit_id, today) for unit_id in counted)
    assert {u.unit_id: (u.checked_in, u.exempt) for u in UnitDay.objects.filter(day=today)} == counted
    assert verify() == (AuditEntry.objects.count(), None)

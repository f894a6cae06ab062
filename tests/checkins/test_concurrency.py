"""On PostgreSQL: many clients posting the same check-in at once store exactly one row."""

import threading
import uuid

import pytest
from django.db import connection, connections
from django.test import Client

from fangkong.checkins.models import CheckIn, UnitDay
from fangkong.org.actions import create_token
from tests.factories import world

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers; proves nothing"),
]

THREADS = 50
ROUNDS = 100


def test_fifty_threads_posting_the_same_checkin_store_one_row_each_round():
    w = world()
    token = create_token("test", w.enterprise_admin)
    bodies = [
        {"id": str(uuid.uuid4()), "person": "A0001" if r % 2 else "B0001", "temperature": 36.5 + (r % 5) / 10}
        for r in range(ROUNDS)
    ]
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)  # reused: every round starts all threads at once

    def run() -> None:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        try:
            for body in bodies:
                barrier.wait()
                status = client.post("/api/v1/checkins", body, content_type="application/json").status_code
                with lock:
                    statuses.append(status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses.count(201) == ROUNDS
    assert statuses.count(200) == ROUNDS * (THREADS - 1)
    assert CheckIn.objects.filter(pk__in=[b["id"] for b in bodies]).count() == ROUNDS
    # every round amended the same two person-days: one current row each, the counters say two people
    assert CheckIn.objects.filter(current=True).count() == 2
    assert sum(UnitDay.objects.values_list("checked_in", flat=True)) == 2


def test_a_batch_does_not_wait_for_a_person_another_writer_holds():
    """The batch stores everyone else at once; the held person's item waits, then is stored too."""
    from django.db import transaction

    from fangkong.checkins import statements
    from fangkong.org.models import Person

    w = world()
    token = create_token("test", w.group_admin)
    held, others = "A0001", ["B0001", "C0001"]
    items = [{"id": str(uuid.uuid4()), "person": no, "temperature": 36.6} for no in [held, *others]]
    holding, release = threading.Event(), threading.Event()
    answer: list = []

    def hold() -> None:  # another writer holding the person, as a check-in in progress does
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                pk = Person.objects.get(employee_no=held).pk
                cursor.execute(f"SELECT id FROM org_person WHERE id = %s{statements.person_lock()}", [pk])
                holding.set()
                release.wait(30)
        finally:
            connections.close_all()

    def post() -> None:
        try:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
            answer.append(client.post("/api/v1/checkins/batch", items, content_type="application/json"))
        finally:
            connections.close_all()

    holder, poster = threading.Thread(target=hold), threading.Thread(target=post)
    holder.start()
    assert holding.wait(30)
    poster.start()
    stored_meanwhile = False
    for _ in range(300):  # up to 30 s: the others are committed while the held person still waits
        if CheckIn.objects.filter(person__employee_no__in=others).count() == 2:
            stored_meanwhile = True
            break
        poster.join(0.1)
    held_meanwhile = CheckIn.objects.filter(person__employee_no=held).exists()
    release.set()
    holder.join(30)
    poster.join(30)

    assert stored_meanwhile, "the batch waited for the held person before storing the others"
    assert not held_meanwhile
    assert [item["status"] for item in answer[0].json()] == [201, 201, 201]
    assert CheckIn.objects.filter(person__employee_no=held).count() == 1


def test_a_check_in_finding_every_audit_chain_held_waits_for_one_and_is_audited(settings):
    """The single statement of a first check-in undoes itself when no chain is free; the
    transaction path then waits for the chain, and the row is stored once, audited once."""
    from decimal import Decimal

    from fangkong.audit.actions import verify
    from fangkong.audit.models import AuditEntry, ChainHead
    from fangkong.checkins.actions import CheckinData, open_unit_day, people_for_checkin, submit_checkin
    from fangkong.checkins.rules import current_rules
    from fangkong.lib.dates import business_day

    settings.AUDIT_CHAINS = 1
    w = world()
    ChainHead.objects.bulk_create([ChainHead(chain=0)], ignore_conflicts=True)
    current_rules()
    alice = people_for_checkin(pks=[w.alice.pk])[0]
    open_unit_day(alice.unit_id, business_day(alice.enterprise.timezone))
    holder, release = _hold_chain(0)
    threading.Timer(0.5, release.set).start()
    data = CheckinData(uuid.uuid4(), Decimal("36.5"))
    stored, created = submit_checkin(w.grid_leader, alice, data, source="proxy")
    holder.join()
    assert created and release.is_set()  # it waited for the holder
    assert CheckIn.objects.filter(pk=data.id).count() == 1
    assert AuditEntry.objects.filter(object_id=str(data.id), action="checkin.proxy").count() == 1
    assert verify() == (AuditEntry.objects.count(), None)
    assert UnitDay.objects.get(unit_id=alice.unit_id, day=stored.day).checked_in == 1


def test_first_check_ins_outside_a_transaction_free_their_chain_and_keep_to_it(settings):
    """A first check-in's single statement is its own transaction: the audit chain it wrote to is
    free again once it returns, and the connection's next audit rows go to that chain first, so
    each worker of a morning keeps to a chain of its own. The chain stays whole."""
    from decimal import Decimal

    from django.db import transaction

    from fangkong.audit.actions import record, verify
    from fangkong.audit.models import AuditEntry, ChainHead
    from fangkong.checkins.actions import CheckinData, open_unit_day, people_for_checkin, submit_checkin
    from fangkong.checkins.rules import current_rules
    from fangkong.lib.dates import business_day

    settings.AUDIT_CHAINS = 8
    w = world()
    ChainHead.objects.bulk_create([ChainHead(chain=c) for c in range(8)], ignore_conflicts=True)
    current_rules()
    alice, carol = people_for_checkin(pks=[w.alice.pk, w.carol.pk])
    for person in (alice, carol):
        open_unit_day(person.unit_id, business_day(person.enterprise.timezone))
    with transaction.atomic():
        record("test", "test.before", "thing", "before", unit_code="E1")
    before = AuditEntry.objects.get(object_id="before").chain  # the chain this connection prefers now

    def check_in(person) -> int:
        data = CheckinData(uuid.uuid4(), Decimal("36.5"))
        stored, created = submit_checkin(w.grid_leader, person, data, source="proxy")
        assert created and stored.version == 1
        return AuditEntry.objects.get(object_id=str(data.id), action="checkin.proxy").chain

    holder, release = _hold_chain(before)  # another writer holds the preferred chain: it takes another
    first = check_in(alice)
    release.set()
    holder.join()
    assert first != before
    taken: list[int] = []

    def take() -> None:  # free again: another connection takes it at once
        try:
            with transaction.atomic():
                taken.append(ChainHead.objects.select_for_update(nowait=True).get(chain=first).chain)
        finally:
            connections.close_all()

    taker = threading.Thread(target=take)
    taker.start()
    taker.join()
    assert taken == [first]
    assert check_in(carol) == first, "the next check-in left the chain the connection wrote to last"
    assert verify() == (AuditEntry.objects.count(), None)


def _hold_chain(chain: int) -> tuple[threading.Thread, threading.Event]:
    """Another writer (a thread on its own connection) holding the audit chain's head until the
    returned event is set; join the thread after setting it."""
    from django.db import transaction

    from fangkong.audit.models import ChainHead

    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                ChainHead.objects.select_for_update().get(chain=chain)
                held.set()
                release.wait(10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(10)
    return holder, release

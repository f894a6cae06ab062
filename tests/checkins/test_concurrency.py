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

"""On PostgreSQL: many clients posting the same check-in at once store exactly one row."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

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
    statuses: list[int] = []
    lock = threading.Lock()

    def post(body: dict, barrier: threading.Barrier) -> None:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        try:
            barrier.wait()
            resp = client.post("/api/v1/checkins", body, content_type="application/json")
            with lock:
                statuses.append(resp.status_code)
        finally:
            connections.close_all()

    ids = []
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        for r in range(ROUNDS):
            body = {
                "id": str(uuid.uuid4()),
                "person": "A0001" if r % 2 else "B0001",
                "temperature": 36.5 + (r % 5) / 10,
            }
            ids.append(body["id"])
            barrier = threading.Barrier(THREADS)
            list(pool.map(post, [body] * THREADS, [barrier] * THREADS))
    assert statuses.count(201) == ROUNDS
    assert statuses.count(200) == ROUNDS * (THREADS - 1)
    assert CheckIn.objects.filter(pk__in=ids).count() == ROUNDS
    # every round amended the same person-day: one current row each, counters say one person each
    assert CheckIn.objects.filter(current=True).count() == 2
    assert sum(UnitDay.objects.values_list("checked_in", flat=True)) == 2

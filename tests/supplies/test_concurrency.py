"""On PostgreSQL: many officers issuing from the same stock at once never drive it below zero."""

import threading

import pytest
from django.db import connection, connections

from fangkong.org.actions import ActionError
from fangkong.org.models import Region
from fangkong.org.regions import load_regions
from fangkong.supplies import actions
from fangkong.supplies.catalogue import load_items
from fangkong.supplies.models import Movement, Stock, SupplyItem
from tests.factories import world

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers; proves nothing"),
]

THREADS = 20
ROUNDS = 10
STOCK = 70  # each round: 7 issues of 10 can be served, 13 must be refused


def test_concurrent_issues_never_drive_the_stock_below_zero():
    load_regions(Region)  # an earlier transactional test's flush emptied the migration's rows
    load_items(SupplyItem)
    w = world()
    item = SupplyItem.objects.get(code="mask_n95")
    start = threading.Barrier(THREADS + 1)  # the workers and this thread, which refills between rounds
    done = threading.Barrier(THREADS + 1)
    lock = threading.Lock()
    served: list[int] = []

    def run() -> None:
        try:
            for r in range(ROUNDS):
                start.wait()
                try:
                    actions.record_movement(w.enterprise_admin, w.e1, item, "issued", 10)
                except ActionError:
                    pass
                else:
                    with lock:
                        served.append(r)
                done.wait()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for r in range(ROUNDS):
        actions.record_movement(w.enterprise_admin, w.e1, item, "received", STOCK)
        start.wait()
        done.wait()
        stock = Stock.objects.get(enterprise=w.e1, item=item)
        assert stock.quantity == 0, r
        assert served.count(r) == STOCK // 10, r
    for t in threads:
        t.join()
    assert Movement.objects.filter(kind="issued").count() == ROUNDS * STOCK // 10
    assert not Movement.objects.filter(balance__lt=0).exists()

"""The hash chain survives concurrent writers (PostgreSQL): no fork, seq contiguous, verify OK.

Eight threads, each with its own connection, append rows at once with `record` (one row per
transaction) and `record_many` (batches spread over several chains), all aimed at the same few chains;
a ninth thread runs `verify()` meanwhile, which must never report a breach (it reads one snapshot).
"""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connection, connections, transaction

from fangkong.audit.actions import Row, record, record_many, verify
from fangkong.audit.models import AuditEntry, ChainHead

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers; proves nothing"),
]

WRITERS = 8
ROUNDS = 25
BATCH = 6


def _writer(n: int, start: threading.Barrier, errors: list[BaseException]) -> None:
    try:
        start.wait()
        for i in range(ROUNDS):
            with transaction.atomic():
                record(f"w{n}", "test.one", "thing", f"{n}-{i}", unit_code=f"U{i % 3}")
            with transaction.atomic():
                rows = [Row("test.many", "thing", f"{n}-{i}-{j}", unit_code=f"U{j}") for j in range(BATCH)]
                record_many(f"w{n}", rows)
    except BaseException as exc:  # noqa: BLE001  (reported by the test)
        errors.append(exc)
    finally:
        connections.close_all()


def _verifier(stop: threading.Event, results: list) -> None:
    try:
        while not stop.is_set():
            results.append(verify())
    finally:
        connections.close_all()


@pytest.mark.parametrize("heads", ["existing", "none yet"])
def test_concurrent_writers_leave_one_unforked_chain_each(heads):
    if heads == "existing":
        ChainHead.objects.bulk_create([ChainHead(chain=c) for c in range(settings.AUDIT_CHAINS)])
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []
    stop, checks = threading.Event(), []
    verifier = threading.Thread(target=_verifier, args=(stop, checks))
    writers = [threading.Thread(target=_writer, args=(n, start, errors)) for n in range(WRITERS)]
    verifier.start()
    for t in writers:
        t.start()
    for t in writers:
        t.join(timeout=300)
    stop.set()
    verifier.join(timeout=300)

    assert not errors, errors
    expected = WRITERS * ROUNDS * (1 + BATCH)
    assert AuditEntry.objects.count() == expected
    for head in ChainHead.objects.all():
        seqs = list(AuditEntry.objects.filter(chain=head.chain).order_by("seq").values_list("seq", flat=True))
        assert seqs == list(range(1, head.seq + 1)), f"chain {head.chain} has a gap or a fork"
    assert verify() == (expected, None)
    assert checks, "the verifier ran meanwhile"
    assert all(breach is None for _, breach in checks), [b for _, b in checks if b]

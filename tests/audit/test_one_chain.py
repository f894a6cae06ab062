"""A transaction writes its audit rows to one chain, and takes a chain no other writer holds.

So two writers never wait for each other's audit head (the batch endpoint's concurrent batches
used to queue on it), and a transaction holding one head never waits for a second (no deadlock).
"""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connection, connections, transaction

from fangkong.audit.actions import Row, record, record_many, verify
from fangkong.audit.models import AuditEntry, ChainHead


@pytest.mark.django_db
def test_a_transactions_rows_share_one_chain_whatever_their_units():
    with transaction.atomic():
        record("alice", "test.one", "thing", "1", unit_code="E001")
        record_many("alice", [Row("test.many", "thing", str(i), unit_code=f"E{i:03}") for i in range(2, 40)])
        record("alice", "test.one", "thing", "40", unit_code="E040")
    rows = list(AuditEntry.objects.order_by("seq"))
    assert len(rows) == 40
    assert len({r.chain for r in rows}) == 1
    assert [r.seq for r in rows] == list(range(1, 41))
    assert verify() == (40, None)


@pytest.mark.django_db
def test_a_row_rolled_back_with_its_savepoint_leaves_the_chain_whole():
    with transaction.atomic():
        record("alice", "test.one", "thing", "1", unit_code="E001")
        try:
            with transaction.atomic():
                record("alice", "test.one", "thing", "gone", unit_code="E001")
                raise RuntimeError("undo")
        except RuntimeError:
            pass
        record("alice", "test.one", "thing", "2", unit_code="E001")
    assert list(AuditEntry.objects.order_by("seq").values_list("object_id", "seq")) == [("1", 1), ("2", 2)]
    assert verify() == (2, None)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer at a time")
def test_a_second_writer_takes_another_chain_instead_of_waiting():
    ChainHead.objects.bulk_create([ChainHead(chain=c) for c in range(settings.AUDIT_CHAINS)])
    holding, release, done = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                record("first", "test.one", "thing", "a", unit_code="E001")
                holding.set()
                release.wait(30)
        except BaseException as exc:  # noqa: BLE001  (reported by the test)
            errors.append(exc)
        finally:
            connections.close_all()

    def second() -> None:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:  # waiting for a lock would fail, not hang
                    cursor.execute("SET LOCAL lock_timeout = '2s'")
                record("second", "test.one", "thing", "b", unit_code="E001")  # the same preferred chain
            done.set()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    t1 = threading.Thread(target=first)
    t1.start()
    assert holding.wait(30)
    t2 = threading.Thread(target=second)
    t2.start()
    t2.join(30)
    finished_while_held = done.is_set()
    release.set()
    t1.join(30)

    assert not errors, errors
    assert finished_while_held, "the second writer waited for the first one's chain"
    chains = dict(AuditEntry.objects.values_list("object_id", "chain"))
    assert chains["a"] != chains["b"]
    assert 0 <= chains["b"] < settings.AUDIT_CHAINS
    assert verify() == (2, None)


@pytest.mark.django_db
def test_an_import_of_rows_in_savepoints_some_rolled_back_leaves_the_chain_whole():
    """A day import: one transaction, a savepoint per row, a row's savepoint rolled back now and
    then after its audit row was written."""
    kept = []
    with transaction.atomic():
        for i in range(60):
            try:
                with transaction.atomic():
                    record("import", "test.row", "row", str(i), unit_code=f"E{i % 7:03}")
                    with transaction.atomic():
                        record("import", "test.detail", "row", f"{i}.1", unit_code="E999")
                    if i % 3 == 0:
                        raise RuntimeError("row refused")
                kept += [str(i), f"{i}.1"]
            except RuntimeError:
                pass
    rows = list(AuditEntry.objects.order_by("seq").values_list("object_id", "seq", "chain"))
    assert [r[0] for r in rows] == kept
    assert [r[1] for r in rows] == list(range(1, len(kept) + 1))
    assert len({r[2] for r in rows}) == 1
    assert verify() == (len(kept), None)

"""The bench's WAL figure for a write phase: what PostgreSQL wrote per stored write, and the
checkpoints completed meanwhile."""

import pytest
from django.db import connection
from django.db.transaction import atomic
from django.utils import timezone

from fangkong.bench import setup
from fangkong.bench.models import BenchRow
from fangkong.bench.report import render_table


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's WAL")
def test_a_phase_reports_the_wal_it_wrote_per_write_and_a_checkpoint_in_it():
    mark = setup.wal_mark()
    for _ in range(20):  # twenty commits, as twenty requests of the insert ceiling make
        with atomic():
            BenchRow.objects.create(person="E0000001", temperature="36.6", at=timezone.now())
    phase = setup.wal_since(mark, 20)
    assert 20 * 100 < phase["bytes"] and phase["bytes_per_write"] == round(phase["bytes"] / 20)

    mark = setup.wal_mark()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper OR pg_has_role('pg_checkpoint', 'MEMBER') FROM pg_roles "
            "WHERE rolname = current_user"
        )
        if not cursor.fetchone()[0]:
            pytest.skip("CHECKPOINT needs a superuser or pg_checkpoint")
        cursor.execute("CHECKPOINT")
    assert setup.wal_since(mark, 1)["checkpoints_completed"] >= 1  # (and any other the server made)


def test_the_table_shows_a_phases_wal_and_leaves_the_row_out_without_one():
    assert setup.wal_since(None, 10) is None
    phase = {"per_s": 100.0, "p99_ms": 5.0, "wal": None}
    table = render_table({"ceilings": {"insert": phase}})
    assert "WAL per" not in table
    phase["wal"] = {"bytes": 30_720, "bytes_per_write": 3_072, "checkpoints_completed": 2}
    table = render_table({"ceilings": {"insert": phase}})
    assert "WAL per bare insert (PostgreSQL)" in table and "3.00 kB" in table and "2 checkpoints" in table

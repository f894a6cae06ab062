"""The bench vacuums the database first, as autovacuum keeps a database in service: the generated
rows become visible to index-only scans (the unit page's reads)."""

import pytest
from django.db import connection
from django.db.transaction import atomic
from django.utils import timezone

from fangkong.bench import setup
from fangkong.bench.models import BenchRow


def _all_visible_pages(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relallvisible FROM pg_class WHERE relname = %s", [table])
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's VACUUM")
def test_the_bench_leaves_written_rows_visible_to_index_only_scans():
    with atomic():
        BenchRow.objects.bulk_create(
            [BenchRow(person=f"E{i:07d}", temperature="36.6", at=timezone.now()) for i in range(2000)]
        )
    table = BenchRow._meta.db_table
    assert _all_visible_pages(table) == 0  # as generation leaves its tables where autovacuum is off

    result = setup.vacuum_database()

    assert _all_visible_pages(table) > 0
    assert result["seconds"] is not None and result["method"].startswith("VACUUM")


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite has no visibility map")
def test_on_sqlite_the_bench_says_there_is_nothing_to_vacuum():
    assert setup.vacuum_database() == {"seconds": None, "method": "PostgreSQL only"}

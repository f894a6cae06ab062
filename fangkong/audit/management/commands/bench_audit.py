"""`fangkong bench_audit --rows 1000000`: append N valid audit rows fast, then time `audit verify`.

The rows are appended by `audit.actions.record_many` in chunks (hashed as every audit row is, spread
over the chains by their unit code, written with COPY on PostgreSQL), in one transaction: the log
verifies afterwards. Then `verify()` walks every chain and the command prints its time,
rows per second and the process's peak RSS (the writer's chunks are freed before; `--rows 0` times
verify alone, e.g. under `/usr/bin/time -v`). Meant for a scratch database: the rows stay.
"""

from __future__ import annotations

import resource
import sys
import time

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from fangkong.audit.actions import Row, record_many, verify
from fangkong.org.bulk import CHUNK


def _peak_rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


NOTE = "bench row 基准"


def write_bench_rows(rows: int, write=lambda line: None) -> int:
    """Append `rows` valid rows in one transaction, through `record_many` (the same hashing, chain
    heads and COPY as the batch check-ins) in chunks, so the writer's memory does not grow with N."""
    written, t0 = 0, time.monotonic()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        for start in range(0, rows, CHUNK):
            chunk = [
                Row(
                    "bench.row",
                    "bench",
                    i,
                    unit_code=f"B{i % 64:02d}",
                    detail={"n": i, "note": "bench row 基准"},
                )
                for i in range(start, min(rows, start + CHUNK))
            ]
            written += record_many("bench", chunk)
            write(f"  written: {written:,} ({written / (time.monotonic() - t0):,.0f}/s)")
    return written


class Command(BaseCommand):
    help = "Append N valid audit rows fast (scratch database), then time `audit verify` and its memory."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=1_000_000, help="rows to append first (0: none)")

    def handle(self, *args, rows: int, **opts):
        vendor = connection.vendor
        if rows > 0:
            t0 = time.monotonic()
            written = write_bench_rows(rows, self.stdout.write)
            took = time.monotonic() - t0
            self.stdout.write(f"wrote {written:,} rows in {took:.1f} s ({written / took:,.0f}/s) on {vendor}")
        rss_before = _peak_rss_mib()
        t0 = time.monotonic()
        checked, breach = verify()
        took = max(time.monotonic() - t0, 1e-9)
        self.stdout.write(
            f"verify: {checked:,} rows in {took:.1f} s ({checked / took:,.0f} rows/s) on {vendor}; "
            f"peak RSS {_peak_rss_mib():.0f} MiB (before verify {rss_before:.0f} MiB)"
        )
        if breach is not None:
            self.stderr.write(f"FAILED: {breach}")
            sys.exit(1)
        self.stdout.write("OK: every chain intact")

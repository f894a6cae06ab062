"""`fangkong bench_audit --rows 1000000`: append N valid audit rows fast, then time `audit verify`.

The rows are hashed in Python exactly as `record()` hashes them (same `entry_hash`), spread over
every chain after its current head, and written with COPY on PostgreSQL (executemany on SQLite) in
chunks, so the writer's memory does not grow with N. The heads are moved in the same transaction:
the log verifies afterwards. Then `verify()` walks every chain and the command prints its time,
rows per second and the process's peak RSS (the writer's chunks are freed before; `--rows 0` times
verify alone, e.g. under `/usr/bin/time -v`). Meant for a scratch database: the rows stay.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from fangkong.audit.actions import GENESIS, entry_hash, verify
from fangkong.audit.models import AuditEntry, ChainHead
from fangkong.org.bulk import CHUNK, batched_rows, insert_rows

COLUMNS = (
    "chain",
    "seq",
    "at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "unit_code",
    "detail",
    "prev_hash",
    "hash",
)


def _peak_rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def bench_rows(rows: int, heads: dict[int, tuple[int, str]], start: datetime) -> Iterator[tuple]:
    """Database rows for `rows` new entries, round-robin over the chains; moves `heads` along."""
    chains = sorted(heads)
    adapt = connection.ops.adapt_datetimefield_value
    for i in range(rows):
        chain = chains[i % len(chains)]
        seq, prev = heads[chain]
        entry = AuditEntry(
            chain=chain,
            seq=seq + 1,
            at=start + timedelta(microseconds=i),
            actor="bench",
            action="bench.row",
            object_type="bench",
            object_id=str(i),
            unit_code=f"B{chain:02d}",
            detail=json.loads(json.dumps({"n": i, "note": "bench row 基准"})),
            prev_hash=prev,
        )
        entry.hash = entry_hash(entry)
        heads[chain] = (entry.seq, entry.hash)
        yield (
            entry.chain,
            entry.seq,
            adapt(entry.at),
            entry.actor,
            entry.action,
            entry.object_type,
            entry.object_id,
            entry.unit_code,
            json.dumps(entry.detail, ensure_ascii=False),
            entry.prev_hash,
            entry.hash,
        )


def write_bench_rows(rows: int, write=lambda line: None) -> int:
    """Append `rows` valid rows after the current heads in one transaction; returns the count."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        for chain in range(max(1, settings.AUDIT_CHAINS)):
            ChainHead.objects.get_or_create(chain=chain)
        locked = ChainHead.objects.select_for_update().order_by("chain")
        heads = {h.chain: (h.seq, h.hash or GENESIS) for h in locked}
        written, t0 = 0, time.monotonic()
        for batch in batched_rows(bench_rows(rows, heads, datetime.now(UTC)), CHUNK):
            written += insert_rows(AuditEntry._meta.db_table, COLUMNS, batch)
            write(f"  written: {written:,} ({written / (time.monotonic() - t0):,.0f}/s)")
        for chain, (seq, hash_) in heads.items():
            ChainHead.objects.filter(chain=chain).update(seq=seq, hash=hash_)
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

"""Writing and verifying the audit log. `record` must be called inside the action's transaction."""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from fangkong.org.bulk import insert_objects
from fangkong.org.rawsql import execute_after, insert_statement, table

from .models import AuditEntry, ChainHead

GENESIS = "0" * 64


def _canonical(entry: AuditEntry) -> bytes:
    body = {
        "chain": entry.chain,
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "unit_code": entry.unit_code,
        "detail": entry.detail,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(_canonical(entry)).hexdigest()


def chain_for(key: str) -> int:
    return zlib.crc32(key.encode()) % max(1, settings.AUDIT_CHAINS)


def actor_name(actor: Any) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return getattr(actor, "username", None) or str(actor)


def _locked_head(chain: int) -> tuple[int, str]:
    """(seq, hash) of the chain's head, locked for this transaction (hand-written: every proxied
    check-in of the morning peak takes one)."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    sql = f"SELECT seq, hash FROM {table(ChainHead)} WHERE chain = %s{lock}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [chain])
        row = cursor.fetchone()
        if row is None:
            ChainHead.objects.get_or_create(chain=chain)  # savepoint inside; safe against a racing creator
            cursor.execute(sql, [chain])
            row = cursor.fetchone()
    return row[0], row[1]


def record(
    actor: Any,
    action: str,
    obj_type: str,
    obj_id: Any,
    *,
    unit_code: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one audit row to the chain of `unit_code` (or of the object) in the current transaction.

    Never put unmasked ID numbers, mobiles or health detail into `detail`.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must run inside the action's transaction")
    chain = chain_for(unit_code or f"{obj_type}:{obj_id}")
    seq, prev_hash = _locked_head(chain)
    entry = AuditEntry(
        chain=chain,
        seq=seq + 1,
        at=timezone.now(),
        actor=actor_name(actor)[:150],
        action=action,
        object_type=obj_type,
        object_id=str(obj_id)[:64],
        unit_code=unit_code,
        detail=json.loads(json.dumps(detail or {}, default=str)),
        prev_hash=prev_hash,
    )
    entry.hash = entry_hash(entry)
    # The row and the head in one round trip on PostgreSQL; the row's id is not read back.
    execute_after(insert_statement(entry), _head_update(chain, entry.seq, entry.hash))
    return entry


@dataclass(frozen=True)
class Row:
    """One row for `record_many`: the arguments of `record` after the actor."""

    action: str
    obj_type: str
    obj_id: Any
    unit_code: str = ""
    detail: dict[str, Any] | None = None


def record_many(actor: Any, rows: list[Row]) -> int:
    """Append many audit rows in the current transaction with three statements whatever their number:
    one locking read of the chain heads involved (in chain order, so two writers never wait for each
    other crosswise), one insert, one update of the heads."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record_many must run inside the action's transaction")
    if not rows:
        return 0
    by_chain: dict[int, list[Row]] = {}
    for row in rows:
        by_chain.setdefault(chain_for(row.unit_code or f"{row.obj_type}:{row.obj_id}"), []).append(row)
    heads = _locked_heads(sorted(by_chain))
    name = actor_name(actor)[:150]
    at = timezone.now()
    entries: list[AuditEntry] = []
    moved: dict[int, tuple[int, str]] = {}
    for chain in sorted(by_chain):
        seq, prev = heads[chain]
        for row in by_chain[chain]:
            seq += 1
            entry = AuditEntry(
                chain=chain,
                seq=seq,
                at=at,
                actor=name,
                action=row.action,
                object_type=row.obj_type,
                object_id=str(row.obj_id)[:64],
                unit_code=row.unit_code,
                detail=json.loads(json.dumps(row.detail or {}, default=str)),
                prev_hash=prev,
            )
            entry.hash = prev = entry_hash(entry)
            entries.append(entry)
        moved[chain] = (seq, prev)
    insert_objects(entries)
    _move_heads(moved)
    return len(rows)


def _locked_heads(chains: list[int]) -> dict[int, tuple[int, str]]:
    """(seq, hash) of each chain's head, locked for this transaction in chain order. Missing heads
    are created first (a no-op for those a concurrent writer made), so every writer then takes the
    same rows in the same order and none waits for another crosswise."""
    locked = ChainHead.objects.select_for_update().filter(chain__in=chains).order_by("chain")
    if ChainHead.objects.filter(chain__in=chains).count() < len(chains):
        ChainHead.objects.bulk_create([ChainHead(chain=c) for c in sorted(chains)], ignore_conflicts=True)
    return {h.chain: (h.seq, h.hash) for h in locked}


def _head_update(chain: int, seq: int, hash_: str) -> tuple[str, list[Any]]:
    return f"UPDATE {table(ChainHead)} SET seq = %s, hash = %s WHERE chain = %s", [seq, hash_, chain]  # noqa: S608


def _move_heads(moved: dict[int, tuple[int, str]]) -> None:
    if len(moved) == 1:
        ((chain, (seq, hash_)),) = moved.items()
        with connection.cursor() as cursor:
            cursor.execute(*_head_update(chain, seq, hash_))
        return
    ChainHead.objects.bulk_update(
        [ChainHead(chain=c, seq=seq, hash=h) for c, (seq, h) in moved.items()], ["seq", "hash"]
    )


@dataclass
class Breach:
    entry_id: int | None
    chain: int
    seq: int
    reason: str

    def __str__(self) -> str:
        row = f"row id={self.entry_id}" if self.entry_id is not None else "chain head"
        return f"audit chain {self.chain} broken at seq {self.seq} ({row}): {self.reason}"


def verify() -> tuple[int, Breach | None]:
    """Walk every chain in order; return (rows checked, first breach or None).

    Streams: rows come in chunks through a (server-side, on PostgreSQL) cursor, so memory does not
    grow with the log. On PostgreSQL, outside a transaction, the walk reads one REPEATABLE READ
    snapshot, so writers appending meanwhile never make the heads and the rows disagree.
    """
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            return _verify_chains()
    return _verify_chains()


def _verify_chains() -> tuple[int, Breach | None]:
    checked = 0
    heads = {h.chain: h for h in ChainHead.objects.all()}
    # order_by(): without it the model's ordering joins the DISTINCT and every row comes back.
    chains = set(heads) | set(AuditEntry.objects.order_by().values_list("chain", flat=True).distinct())
    for chain in sorted(chains):
        rows = AuditEntry.objects.filter(chain=chain).order_by("seq").iterator(chunk_size=5000)
        n, breach, last_seq, last_hash = _verify_chain(chain, rows)
        checked += n
        if breach is not None:
            return checked, breach
        head = heads.get(chain)
        if head is None or head.seq != last_seq or head.hash != last_hash:
            seq = head.seq if head else last_seq
            return checked, Breach(None, chain, seq, f"head says seq {seq} but the chain ends at {last_seq}")
    return checked, None


def _verify_chain(chain: int, rows: Iterator[AuditEntry]) -> tuple[int, Breach | None, int, str]:
    """(rows checked, first breach or None, last seq, last hash) of one chain's rows in seq order."""
    checked, prev_hash, expected_seq = 0, GENESIS, 1
    for entry in rows:
        checked += 1
        if entry.seq != expected_seq:
            reason = f"row seq {entry.seq} found, a row is missing"
            return checked, Breach(entry.id, chain, expected_seq, reason), 0, ""
        if entry.prev_hash != prev_hash:
            return checked, Breach(entry.id, chain, entry.seq, "does not link to the previous row"), 0, ""
        if entry_hash(entry) != entry.hash:
            reason = "content does not match its hash (edited)"
            return checked, Breach(entry.id, chain, entry.seq, reason), 0, ""
        prev_hash, expected_seq = entry.hash, expected_seq + 1
    return checked, None, expected_seq - 1, prev_hash

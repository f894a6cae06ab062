"""Writing and verifying the audit log. `record` must be called inside the action's transaction."""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

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


def _locked_head(chain: int) -> ChainHead:
    try:
        return ChainHead.objects.select_for_update().get(chain=chain)
    except ChainHead.DoesNotExist:
        ChainHead.objects.get_or_create(chain=chain)  # savepoint inside; safe against a racing creator
        return ChainHead.objects.select_for_update().get(chain=chain)


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
    head = _locked_head(chain)
    entry = AuditEntry(
        chain=chain,
        seq=head.seq + 1,
        at=timezone.now(),
        actor=actor_name(actor)[:150],
        action=action,
        object_type=obj_type,
        object_id=str(obj_id)[:64],
        unit_code=unit_code,
        detail=json.loads(json.dumps(detail or {}, default=str)),
        prev_hash=head.hash,
    )
    entry.hash = entry_hash(entry)
    entry.save(force_insert=True)
    ChainHead.objects.filter(chain=chain).update(seq=entry.seq, hash=entry.hash)
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
    """Append many audit rows in the current transaction: one head lock and one insert per chain.

    Chains are taken in order, so two writers never wait for each other crosswise.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record_many must run inside the action's transaction")
    by_chain: dict[int, list[Row]] = {}
    for row in rows:
        by_chain.setdefault(chain_for(row.unit_code or f"{row.obj_type}:{row.obj_id}"), []).append(row)
    name = actor_name(actor)[:150]
    at = timezone.now()
    for chain in sorted(by_chain):
        head = _locked_head(chain)
        seq, prev = head.seq, head.hash
        entries = []
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
        AuditEntry.objects.bulk_create(entries)
        ChainHead.objects.filter(chain=chain).update(seq=seq, hash=prev)
    return len(rows)


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
    """Walk every chain in order; return (rows checked, first breach or None)."""
    checked = 0
    heads = {h.chain: h for h in ChainHead.objects.all()}
    chains = set(heads) | set(AuditEntry.objects.values_list("chain", flat=True).distinct())
    for chain in sorted(chains):
        prev_hash, expected_seq = GENESIS, 1
        last_seq = 0
        for entry in AuditEntry.objects.filter(chain=chain).order_by("seq").iterator(chunk_size=5000):
            checked += 1
            if entry.seq != expected_seq:
                return checked, Breach(
                    entry.id, chain, expected_seq, f"row seq {entry.seq} found, a row is missing"
                )
            if entry.prev_hash != prev_hash:
                return checked, Breach(entry.id, chain, entry.seq, "does not link to the previous row")
            if entry_hash(entry) != entry.hash:
                return checked, Breach(entry.id, chain, entry.seq, "content does not match its hash (edited)")
            prev_hash, expected_seq, last_seq = entry.hash, expected_seq + 1, entry.seq
        head = heads.get(chain)
        if head is None or head.seq != last_seq or head.hash != prev_hash:
            seq = head.seq if head else last_seq
            return checked, Breach(None, chain, seq, f"head says seq {seq} but the chain ends at {last_seq}")
    return checked, None

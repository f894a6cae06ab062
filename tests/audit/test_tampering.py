"""`verify()` names every single tampering of many tried at random (issue 11, Audit).

Each try runs in a savepoint that is rolled back afterwards: the append-only trigger is switched off
(as someone with direct database access would), one tampering is done, `verify()` must report the
breach at the right chain and position, and the rollback restores both the rows and the trigger.

Kinds of tampering: edit one field of one row (the forger leaves the hash, or recomputes it), delete
one row, swap two rows of a chain, drop the newest rows, append a forged row with a valid hash, insert
a forged row in the middle (renumbering the rows after it). The default suite tries 200; the slow
variant 1 000 (`FANGKONG_RUN_SLOW=1`).
"""

from __future__ import annotations

import copy
import os
import random
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction

from fangkong.audit.actions import Breach, entry_hash, record, verify
from fangkong.audit.models import AuditEntry

ROWS = 160
KINDS = ("edit", "edit_rehash", "delete", "swap", "truncate", "forge_append", "forge_insert")
CONTENT = ("at", "actor", "action", "object_type", "object_id", "unit_code", "detail")
FIELDS = (*CONTENT, "prev_hash", "hash")


class _Undo(Exception):
    """Raised to roll a try back."""


@pytest.fixture
def log(db) -> dict[int, list[AuditEntry]]:
    """~160 rows over every chain, written by `record` as actions do."""
    rng = random.Random(7)
    with transaction.atomic():
        for i in range(ROWS):
            record(
                f"user{rng.randrange(5)}",
                rng.choice(["person.add", "checkin.submit", "ledger.close"]),
                "thing",
                i,
                unit_code=f"E{rng.randrange(40)}",
                detail={"n": i, "note": "正常"},
            )
    chains: dict[int, list[AuditEntry]] = {}
    for entry in AuditEntry.objects.order_by("chain", "seq"):
        chains.setdefault(entry.chain, []).append(entry)
    assert verify() == (ROWS, None)
    return {c: rows for c, rows in chains.items() if len(rows) >= 3}


def _bypass_trigger() -> None:
    """Switch the append-only trigger off inside the current savepoint (its rollback restores it)."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER USER")
        else:
            cur.execute("DROP TRIGGER audit_entry_no_update")
            cur.execute("DROP TRIGGER audit_entry_no_delete")


def _changed(entry: AuditEntry, field: str):
    value = getattr(entry, field)
    if field == "at":
        return value + timedelta(seconds=1)
    if field == "detail":
        return {**value, "note": "篡改"}
    if field in ("prev_hash", "hash"):
        return ("1" if value[0] == "0" else "0") + value[1:]
    return value[:-1] + ("x" if value[-1:] != "x" else "y")


def _renumber(chain: int, from_seq: int, by: int) -> None:
    """Shift seq of a chain's rows from `from_seq` on by `by`, past the unique (chain, seq) index."""
    rows = AuditEntry.objects.filter(chain=chain, seq__gte=from_seq)
    for e in rows.order_by("-seq" if by > 0 else "seq"):
        AuditEntry.objects.filter(pk=e.pk).update(seq=e.seq + by)


def _tamper(rng: random.Random, kind: str, rows: list[AuditEntry]) -> tuple[str, object]:
    """Do one tampering on a chain's rows; return (description, check of the breach)."""
    chain = rows[0].chain
    last = rows[-1]
    if kind in ("edit", "edit_rehash"):
        victim = rng.choice(rows)
        field = rng.choice(FIELDS if kind == "edit" else CONTENT)
        value = _changed(victim, field)
        changes = {field: value}
        if kind == "edit_rehash":
            edited = copy.copy(victim)
            setattr(edited, field, value)
            changes["hash"] = entry_hash(edited)
        AuditEntry.objects.filter(pk=victim.pk).update(**changes)
        if kind == "edit":
            where = (victim.id, victim.seq)
            return f"{field} of {chain}:{victim.seq}", lambda b: (b.entry_id, b.seq) == where
        if victim is last:  # the head still holds the old hash
            return f"{field} of the newest {chain}:{victim.seq}, rehashed", lambda b: b.entry_id is None
        nxt = rows[rows.index(victim) + 1]
        return f"{field} of {chain}:{victim.seq}, rehashed", lambda b: b.entry_id == nxt.id
    if kind == "delete":
        victim = rng.choice(rows)
        AuditEntry.objects.filter(pk=victim.pk).delete()
        return f"delete {chain}:{victim.seq}", lambda b: b.seq == victim.seq
    if kind == "swap":
        a, b_ = sorted(rng.sample(rows, 2), key=lambda e: e.seq)
        AuditEntry.objects.filter(pk=a.pk).update(seq=-1)
        AuditEntry.objects.filter(pk=b_.pk).update(seq=a.seq)
        AuditEntry.objects.filter(pk=a.pk).update(seq=b_.seq)
        return f"swap {chain}:{a.seq} and {b_.seq}", lambda b: b.seq == a.seq and b.entry_id == b_.id
    if kind == "truncate":
        k = rng.randint(1, len(rows) - 1)
        AuditEntry.objects.filter(pk__in=[e.pk for e in rows[-k:]]).delete()
        return f"drop the newest {k} of chain {chain}", lambda b: b.entry_id is None and b.seq == last.seq
    forged = AuditEntry(
        chain=chain,
        at=last.at,
        actor="mallory",
        action="person.reveal",
        object_type="person",
        object_id="1",
        unit_code=last.unit_code,
        detail={},
    )
    if kind == "forge_append":
        forged.seq, forged.prev_hash = last.seq + 1, last.hash
        forged.hash = entry_hash(forged)
        forged.save(force_insert=True)
        return f"append a forged {chain}:{forged.seq}", lambda b: b.entry_id is None and b.seq == last.seq
    assert kind == "forge_insert"
    at = rng.randrange(1, len(rows))  # index of the row the forgery goes before (never the first)
    before, pushed = rows[at - 1], rows[at]
    _renumber(chain, pushed.seq, 1_000_000)
    _renumber(chain, pushed.seq + 1_000_000, -999_999)
    forged.seq, forged.prev_hash = pushed.seq, before.hash
    forged.hash = entry_hash(forged)
    forged.save(force_insert=True)
    return f"insert a forged {chain}:{forged.seq}", lambda b: b.entry_id == pushed.id


def _try_many(log: dict[int, list[AuditEntry]], tries: int, seed: int) -> None:
    rng = random.Random(seed)
    missed = []
    for i in range(tries):
        kind = KINDS[i % len(KINDS)]
        rows = log[rng.choice(sorted(log))]
        try:
            with transaction.atomic():
                _bypass_trigger()
                what, named = _tamper(rng, kind, rows)
                _, breach = verify()
                if not (isinstance(breach, Breach) and breach.chain == rows[0].chain and named(breach)):
                    missed.append(f"try {i} (seed {seed}): {what} -> {breach}")
                raise _Undo
        except _Undo:
            pass
    assert not missed, missed
    assert verify() == (ROWS, None)  # every try was rolled back, the trigger is back
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditentry")


def test_every_single_tampering_is_named(log):
    _try_many(log, 200, seed=11)


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("FANGKONG_RUN_SLOW") != "1", reason="slow: set FANGKONG_RUN_SLOW=1")
def test_one_thousand_tamperings_are_each_named(log):
    _try_many(log, 1000, seed=1000)

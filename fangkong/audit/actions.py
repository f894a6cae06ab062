"""Writing and verifying the audit log. `record` must be called inside the action's transaction."""

from __future__ import annotations

import hashlib
import json
import secrets
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from fangkong.org.bulk import insert_values
from fangkong.org.rawsql import default_connection, execute_after, insert_statement, on_postgresql, qn, table

from .models import AuditEntry, ChainHead

GENESIS = "0" * 64


# The canonical form hashed: sorted keys, no spaces, UTF-8 (one encoder for every row).
_canonical = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode


def _hash(
    chain: int,
    seq: int,
    at: str,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    unit_code: str,
    detail: dict[str, Any],
    prev_hash: str,
) -> str:
    """The hash of an audit row of these values (`at` in ISO 8601): what `verify` recomputes."""
    body = {
        "chain": chain,
        "seq": seq,
        "at": at,
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "unit_code": unit_code,
        "detail": detail,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(_canonical(body).encode()).hexdigest()


def entry_hash(entry: AuditEntry) -> str:
    return _hash(
        entry.chain,
        entry.seq,
        entry.at.isoformat(),
        entry.actor,
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.unit_code,
        entry.detail,
        entry.prev_hash,
    )


_PLAIN = (str, int, bool, type(None))


def as_stored(detail: dict[str, Any] | None) -> dict[str, Any]:
    """`detail` as the JSON column gives it back (dates and decimals as strings …), so the hash made
    now is the one `verify` recomputes from the stored row. A flat dict of strings, whole numbers,
    booleans and None is already that (the batch's rows): it is not round-tripped through JSON."""
    if not detail:
        return {}
    if all(type(k) is str and type(v) in _PLAIN for k, v in detail.items()):
        return detail
    return json.loads(json.dumps(detail, default=str))


def chain_for(key: str) -> int:
    """The chain a connection's first audit row goes to by preference (another one if a concurrent
    writer holds that one: `_take`)."""
    return zlib.crc32(key.encode()) % max(1, settings.AUDIT_CHAINS)


def actor_name(actor: Any) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return getattr(actor, "username", None) or str(actor)


# A transaction writes all its audit rows to one chain, whose head it takes with its first row and
# holds until it ends. Holding one head at most, it never waits for a second while holding a first,
# so audit heads cannot deadlock; and since it takes a head no other writer holds (SKIP LOCKED), it
# does not wait for one at all unless every chain is held.


@dataclass(frozen=True)
class _Hold:
    chain: int
    seq: int  # of this transaction's last row on the chain
    hash: str
    marker: Callable[[], None]
    savepoints: tuple[str, ...]  # the savepoints open when the marker was registered


_HOLD = "fangkong_audit_hold"


def _held() -> _Hold | None:
    """The chain this transaction holds, with its head as this transaction left it. The hold is
    remembered with a no-op on_commit callback: Django drops the callback when the transaction
    ends, or when the savepoint it was made in is rolled back (which also undid the row and the
    head's move, and released a head taken there), so a hold that outlived either is not used."""
    hold = getattr(connection, _HOLD, None)
    # From the end: the marker is one of the last callbacks (an import's thousands of rows each
    # register theirs in one transaction).
    if hold is not None and any(entry[1] is hold.marker for entry in reversed(connection.run_on_commit)):
        return hold
    return None


def _keep(chain: int, seq: int, hash_: str) -> None:
    """Remember the head this transaction moved the chain to. A new marker only when a savepoint
    was opened since the last one (its rollback must forget this state, not the earlier one)."""
    savepoints = tuple(connection.savepoint_ids)
    hold = _held()
    if hold is not None and hold.savepoints == savepoints:
        marker = hold.marker
    else:

        def marker() -> None:
            pass

        transaction.on_commit(marker)
    setattr(connection, _HOLD, _Hold(chain, seq, hash_, marker, savepoints))


@cache
def _take_sql() -> str:
    return (
        f"SELECT chain, seq, hash FROM {table(ChainHead)} WHERE chain < %s "  # noqa: S608
        "ORDER BY mod(chain + %s, %s) FOR UPDATE SKIP LOCKED LIMIT 1"
    )


def take_statement(key: str) -> tuple[str, list[Any]] | None:
    """The statement that takes a chain for this transaction's audit rows (the chain of `key`, or
    the next one no other writer holds), to send in a `rawsql.pipeline` with others; pass its rows
    to `took`. None if the transaction holds a chain already, or the database cannot skip locked
    rows (`record` then takes one itself)."""
    if _held() is not None or not connection.features.has_select_for_update_skip_locked:
        return None
    return _take_sql(), _take_params(_preferred(key))


def _take_params(preferred: int) -> list[int]:
    n = max(1, settings.AUDIT_CHAINS)
    return [n, n - preferred, n]


def took(rows: list[tuple[Any, ...]]) -> None:
    """The rows of `take_statement`: the chain taken. None taken (every chain held, or the heads
    not made yet): `record` takes one itself."""
    if rows:
        _keep(*rows[0])


def _take(preferred: int) -> tuple[int, int, str]:
    """(chain, seq, hash) of a chain head locked for this transaction: `preferred`, or the next one
    no other writer holds; if every one is held, wait for `preferred`."""
    if connection.features.has_select_for_update_skip_locked:
        row = _select_one(_take_sql(), _take_params(preferred))
        n = max(1, settings.AUDIT_CHAINS)
        if row is None and ChainHead.objects.filter(chain__lt=n).count() < n:  # the heads made once
            ChainHead.objects.bulk_create([ChainHead(chain=c) for c in range(n)], ignore_conflicts=True)
            row = _select_one(_take_sql(), _take_params(preferred))
        if row is not None:
            return row[0], row[1], row[2]
    return (preferred, *_locked_head(preferred))


def _select_one(sql: str, params: list[Any]) -> tuple[Any, ...] | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _locked_head(chain: int) -> tuple[int, str]:
    """(seq, hash) of the chain's head, locked for this transaction (waiting for a writer holding it)."""
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


def _head(key: str) -> tuple[int, int, str]:
    """(chain, seq, hash) of the head this transaction's next audit row follows."""
    hold = _held()
    if hold is not None:
        return hold.chain, hold.seq, hold.hash
    return _take(_preferred(key))


def _preferred(key: str) -> int:
    """The chain to take first: the one this connection wrote last (after a savepoint's rollback
    forgot the hold, the transaction usually still holds it, and keeps to one chain; across
    transactions each worker keeps to its own chain while no one else holds it), else `key`'s."""
    last = getattr(default_connection(), _HOLD, None)
    return (last.chain if last is not None else chain_for(key)) % max(1, settings.AUDIT_CHAINS)


def hold(key: str) -> None:
    """Take a chain for this transaction's audit rows now, unless it holds one (`record` takes one
    with its first row): a row appended within another statement (`append_ctes`) then goes to the
    chain this transaction holds, and cannot find every chain held by others."""
    if _held() is None:
        _keep(*_take(_preferred(key)))


def record(
    actor: Any,
    action: str,
    obj_type: str,
    obj_id: Any,
    *,
    unit_code: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one audit row in the current transaction (to the chain it holds, or to the chain of
    `unit_code` or of the object, or the next free one: `_take`).

    Never put unmasked ID numbers, mobiles or health detail into `detail`.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must run inside the action's transaction")
    chain, seq, prev_hash = _head(unit_code or f"{obj_type}:{obj_id}")
    entry = AuditEntry(
        chain=chain,
        seq=seq + 1,
        at=timezone.now(),
        actor=actor_name(actor)[:150],
        action=action,
        object_type=obj_type,
        object_id=str(obj_id)[:64],
        unit_code=unit_code,
        detail=as_stored(detail),
        prev_hash=prev_hash,
    )
    entry.hash = entry_hash(entry)
    # The row and the head in one statement on PostgreSQL; the row's id is not read back.
    execute_after(insert_statement(entry), _head_update(chain, entry.seq, entry.hash))
    _keep(chain, entry.seq, entry.hash)
    return entry


# Stand-ins for what only the database knows when it appends a row within another statement
# (`append_ctes`): never a real chain, sequence number or hash.
_CHAIN_MARK, _SEQ_MARK = 8_000_000_000_000_000_001, 8_000_000_000_000_000_003
_PREV_MARK = "fangkong-prev-" + secrets.token_hex(8)


@dataclass(frozen=True)
class Append:
    """CTEs that append one audit row within another statement (PostgreSQL): `sql` and `params`
    go after the statement's own CTEs, `columns` into its final SELECT (they fail the statement if
    the row could not be appended), and that SELECT's values for them go to `appended`."""

    sql: str
    params: list[Any]
    columns: str


def append_ctes(
    actor: Any,
    action: str,
    obj_type: str,
    obj_id: Any,
    *,
    unit_code: str,
    detail: dict[str, Any],
    after: str,
) -> Append | None:
    """`record` as CTEs of a single statement, for a write that needs no transaction of its own
    (a first check-in of the day). The row is appended only if the CTE `after` returned rows, to a
    chain no other writer holds (as `_take`), hashed by PostgreSQL over the canonical text that
    `entry_hash` hashes, built here around the chain, sequence number and previous hash. If `after`
    wrote and no chain was free (or the heads are not made yet) the statement fails with a division
    by zero, undoing its writes: take the transaction path then. None if this database cannot."""
    if not on_postgresql():
        return None
    at = timezone.now()
    name, object_id, stored = actor_name(actor)[:150], str(obj_id)[:64], as_stored(detail)
    body = {
        "chain": _CHAIN_MARK,
        "seq": _SEQ_MARK,
        "at": at.isoformat(),
        "actor": name,
        "action": action,
        "object_type": obj_type,
        "object_id": object_id,
        "unit_code": unit_code,
        "detail": stored,
        "prev_hash": _PREV_MARK,
    }
    text = _canonical(body)
    marks = (str(_CHAIN_MARK), _PREV_MARK, str(_SEQ_MARK))  # in the text's (sorted keys') order
    if any(text.count(mark) != 1 for mark in marks):
        return None
    before_chain, rest = text.split(marks[0])
    before_prev, rest = rest.split(marks[1])
    before_seq, after_seq = rest.split(marks[2])
    json_detail = AuditEntry._meta.get_field("detail").get_db_prep_save(stored, default_connection())
    params = [
        *_take_params(_preferred(unit_code or f"{obj_type}:{obj_id}")),
        at, name, action, obj_type, object_id, unit_code, json_detail,
        before_chain, before_prev, before_seq, after_seq,
    ]  # fmt: skip
    return Append(_append_sql(after), params, _append_columns(after))


@cache
def _append_sql(after: str) -> str:
    heads, entries = table(ChainHead), table(AuditEntry)
    names = ", ".join(qn(c) for c in _COLUMNS)
    # The chain is taken as `_take` takes it, and only if `after` wrote: PostgreSQL tests the EXISTS
    # once, before it reads audit_h (a one-time filter), so no chain is locked otherwise.
    return (
        f"audit_h AS ({_take_sql()}), "  # noqa: S608 - names from the models, never input
        f"audit_a AS (INSERT INTO {entries} ({names}) SELECT chain, seq + 1, %s::timestamptz, %s::varchar, "
        "%s::varchar, %s::varchar, %s::varchar, %s::varchar, %s::jsonb, hash, "
        "encode(sha256(convert_to(%s::text || chain::text || %s::text || hash || %s::text "
        f"|| (seq + 1)::text || %s::text, 'UTF8')), 'hex') FROM audit_h WHERE EXISTS (SELECT 1 FROM {after}) "
        "RETURNING chain, seq, hash), "
        f"audit_hu AS (UPDATE {heads} hh SET seq = audit_a.seq, hash = audit_a.hash FROM audit_a "
        "WHERE hh.chain = audit_a.chain RETURNING hh.chain, hh.seq, hh.hash)"
    )


@cache
def _append_columns(after: str) -> str:
    wrote = f"(SELECT count(*) FROM {after})"  # noqa: S608 - a CTE's name, never input
    return (
        "(SELECT chain FROM audit_hu), (SELECT seq FROM audit_hu), (SELECT hash FROM audit_hu), "  # noqa: S608
        f"1 / (CASE WHEN {wrote} = (SELECT count(*) FROM audit_hu) THEN 1 ELSE 0 END)"
    )


def appended(values: Sequence[Any]) -> None:
    """The final SELECT's values of an `Append`'s columns: the chain the row went to is the one this
    connection prefers next (and holds until a surrounding transaction ends)."""
    chain, seq, hash_ = values[:3]
    if chain is None:
        return
    db = default_connection()
    if db.in_atomic_block:
        _keep(chain, seq, hash_)
        return
    # The statement was its own transaction, which has released the chain: only the preference is
    # kept, as `_keep` leaves it there (its marker would run at once, so `_held` never finds it). A
    # first check-in of the day comes here; `_keep`'s look-ups cost it 50 000 instructions
    # (docs/performance-history.md, session 19).
    setattr(db, _HOLD, _Hold(chain, seq, hash_, _released, ()))


def _released() -> None:
    """The marker of a hold whose transaction has ended (never in `run_on_commit`)."""


@dataclass(frozen=True)
class Row:
    """One row for `record_many`: the arguments of `record` after the actor."""

    action: str
    obj_type: str
    obj_id: Any
    unit_code: str = ""
    detail: dict[str, Any] | None = None


def record_many(actor: Any, rows: list[Row]) -> int:
    """Append many audit rows in the current transaction, all to its chain (as `record`), with an
    insert and an update of the head whatever their number. The rows are hashed and inserted as
    values, not as AuditEntry instances (a batch of check-ins writes a thousand)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record_many must run inside the action's transaction")
    if not rows:
        return 0
    first = rows[0]
    chain, seq, prev = _head(first.unit_code or f"{first.obj_type}:{first.obj_id}")
    name = actor_name(actor)[:150]
    at = timezone.now()
    at_text = at.isoformat()
    values: list[tuple[Any, ...]] = []
    for row in rows:
        seq += 1
        object_id, detail = str(row.obj_id)[:64], as_stored(row.detail)
        entry = (chain, seq, at, name, row.action, row.obj_type, object_id, row.unit_code, detail, prev)
        prev = _hash(chain, seq, at_text, *entry[3:])
        values.append((*entry, prev))
    insert_values(AuditEntry, _COLUMNS, values)
    with connection.cursor() as cursor:
        cursor.execute(*_head_update(chain, seq, prev))
    _keep(chain, seq, prev)
    return len(rows)


_COLUMNS = (
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


def _head_update(chain: int, seq: int, hash_: str) -> tuple[str, list[Any]]:
    return f"UPDATE {table(ChainHead)} SET seq = %s, hash = %s WHERE chain = %s", [seq, hash_, chain]  # noqa: S608


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

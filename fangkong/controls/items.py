"""Ledger items opened and closed by the thousand (a county turning high touches ~550 enterprises
with ~25 new measures each).

These write the same rows as `ledger.actions.open_item` / `close_item` — the item, its typed event,
the version bump, one open item per (kind, key) — set-based, inside the caller's transaction. The
caller writes one summarising audit row per enterprise (architecture.md: bulk paths write one
summarising row), naming how many items it opened and closed.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.utils import timezone

from fangkong.audit.actions import actor_name
from fangkong.ledger.actions import Opening, insert_opened
from fangkong.ledger.models import OPEN_STATES, CloseReason, Event, Item, State

BATCH = 500


def open_keys(kind: str, keys: list[str]) -> dict[str, Item]:
    found: dict[str, Item] = {}
    for i in range(0, len(keys), BATCH):
        for item in Item.objects.filter(kind=kind, key__in=keys[i : i + BATCH], state__in=OPEN_STATES):
            found[item.key] = item
    return found


def open_ids(kind: str, keys: list[str]) -> dict[str, int]:
    """The id of the open item of each key that has one (`open_keys` without building the items)."""
    found: dict[str, int] = {}
    for i in range(0, len(keys), BATCH):
        open_ = Item.objects.filter(kind=kind, key__in=keys[i : i + BATCH], state__in=OPEN_STATES)
        found.update(open_.values_list("key", "pk"))
    return found


def open_items(actor: Any, specs: list[Opening]) -> list[Item]:
    """Open an item per spec unless one is open for its (kind, key); returns the new ones."""
    if not specs:
        return []
    existing: set[tuple[str, str]] = set()
    for kind in {s.kind for s in specs}:
        existing |= {(kind, k) for k in open_ids(kind, [s.key for s in specs if s.kind == kind])}
    new: dict[tuple[str, str], Opening] = {}
    for s in specs:
        if (s.kind, s.key) not in existing:
            new.setdefault((s.kind, s.key), s)
    return insert_opened(actor, list(new.values()), batch_size=BATCH)


def close_items(actor: Any, items: list[Item], *, note: str) -> int:
    """Close open items with reason "resolved" and the note; returns how many were closed."""
    ids = [i.pk for i in items if i.state in OPEN_STATES]
    if not ids:
        return 0
    now = timezone.now()
    closed = 0
    for i in range(0, len(ids), BATCH):
        chunk = ids[i : i + BATCH]
        closed += Item.objects.filter(pk__in=chunk, state__in=OPEN_STATES).update(
            state=State.CLOSED,
            close_reason=CloseReason.RESOLVED,
            close_note=note[:500],
            closed_at=now,
            version=F("version") + 1,
        )
    who = actor_name(actor)
    Event.objects.bulk_create(
        (
            Event(
                item_id=pk,
                type=Event.Type.CLOSED,
                at=now,
                actor=who,
                data={"reason": "resolved", "note": note},
            )
            for pk in ids
        ),
        batch_size=BATCH,
    )
    return closed

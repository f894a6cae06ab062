"""Overdue ledger items climb the ladder: owner → grid leader → enterprise admin → segment → group.

At its due time the owner is told; after each further `delay` the item goes one rung up: an
ESCALATED event on the item (ledger.actions.escalate_item, which also raises escalation_level) and a
message to the rung's holders. Ownership does not move: the heads are told, the owner stays
answerable. A rung nobody holds (an item on an enterprise without grid leaders) is recorded as
passed and the next rung is told in the same step.

Each rung is claimed once through the scheduler's unique run key (`ledger.escalate:<uid>:<rung>`),
so two schedulers never escalate the same item twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.ledger.actions import escalate_item
from fangkong.ledger.models import OPEN_STATES, Item
from fangkong.lib.dates import business_day
from fangkong.org import access
from fangkong.org.imports.base import batched
from fangkong.org.models import Role

from .api import notify
from .models import Run

ACTOR = "system:notify"
# Rung 0 is the owner; the item's escalation_level is the highest rung reached.
LADDER: tuple[tuple[str, str | None], ...] = (
    ("owner", None),
    ("grid_leader", Role.GRID_LEADER),
    ("enterprise_admin", Role.ENTERPRISE_ADMIN),
    ("segment_admin", Role.SEGMENT_ADMIN),
    ("group_admin", Role.GROUP_ADMIN),
)
TOP = len(LADDER) - 1


def delay() -> timedelta:
    """Time between rungs: settings.NOTIFY_ESCALATION_HOURS (default 4 hours)."""
    return timedelta(hours=float(getattr(settings, "NOTIFY_ESCALATION_HOURS", 4)))


def rung_label(rung: int) -> str:
    labels = {
        "owner": _("owner"),
        "grid_leader": _("grid leader"),
        "enterprise_admin": _("enterprise admin"),
        "segment_admin": _("segment admin"),
        "group_admin": _("group admin"),
    }
    return labels[LADDER[rung][0]]


@dataclass
class EscalationResult:
    owners_told: int = 0
    steps: int = 0
    messages: int = 0
    items: list[str] = field(default_factory=list)


def _key(item: Item, rung: int) -> str:
    return f"ledger.escalate:{item.uid}:{rung}"


def _claim(item: Item, rung: int, now: datetime) -> bool:
    """Insert the rung's run key inside the caller's transaction; False if it is taken."""
    from .schedule import claim_key

    tz = item.enterprise.timezone if item.enterprise else item.unit.timezone
    return claim_key(
        _key(item, rung),
        job="ledger.escalate",
        unit=item.unit,
        day=business_day(tz, now),
        due_at=now,
        now=now,
    )


def _tell(item: Item, users: list, rung: int, now: datetime) -> int:
    hours = int((now - item.due_at).total_seconds() // 3600)
    subject = _("Overdue: %(title)s") % {"title": item.display_title}
    if rung == 0:
        body = _("This item was due at %(due)s and is still open.")
    else:
        body = _("This item was due at %(due)s, is still open, and has been escalated to you (%(rung)s).")
    body = body % {
        "due": timezone.localtime(item.due_at).strftime("%Y-%m-%d %H:%M"),
        "rung": rung_label(rung),
    }
    body += " " + _("Overdue by %(h)d h; owner: %(owner)s.") % {
        "h": hours,
        "owner": item.owner.username if item.owner else "-",
    }
    return notify(
        ACTOR,
        users,
        subject=subject,
        body=body,
        link=reverse("ledger_item", args=[item.uid]),
        unit=item.unit,
        key=_key(item, rung),
    )


def _step(item_pk: int, now: datetime, result: EscalationResult) -> None:
    """Take the item's next step up the ladder (one rung with someone on it), if still due."""
    with transaction.atomic():
        item = (
            Item.objects.select_for_update(of=("self",))
            .select_related("unit", "enterprise", "owner")
            .get(pk=item_pk)
        )
        if item.state not in OPEN_STATES or item.escalation_level >= TOP:
            return
        while item.escalation_level < TOP:
            rung = item.escalation_level + 1
            if not _claim(item, rung, now):
                return  # another scheduler took this rung
            role = LADDER[rung][1]
            assert role is not None  # only rung 0 (the owner) has no role
            holders = [
                u for u in access.holders(item.unit, [role]) if u.pk != getattr(item.owner, "pk", None)
            ]
            names = ", ".join(u.username for u in holders)
            if holders:
                reason = f"overdue: told {LADDER[rung][0]} ({names})"
            else:
                reason = f"overdue: no {LADDER[rung][0]}, passed on"
            item = escalate_item(ACTOR, item, reason=reason)
            result.steps += 1
            if holders:
                result.messages += _tell(item, holders, rung, now)
                result.items.append(str(item.uid))
                return


def escalate_overdue(now: datetime | None = None) -> EscalationResult:
    """One pass over open overdue items: tell owners at due time, climb one rung per delay after."""
    now = now or timezone.now()
    step = delay()
    result = EscalationResult()
    overdue = (
        Item.objects.filter(state__in=OPEN_STATES, due_at__lte=now, escalation_level__lt=TOP)
        .select_related("unit", "enterprise", "owner")
        .order_by("due_at", "pk")
    )
    rows = list(overdue)
    # In chunks: the day after a province turns high its ~100 000 re-screening items fall due
    # together, past the 65 535 parameters a PostgreSQL statement takes.
    told: set[str] = set()
    for keys in batched(_key(i, 0) for i in rows if i.owner_id):
        told.update(Run.objects.filter(key__in=keys).values_list("key", flat=True))
    for item in rows:
        if item.owner_id and _key(item, 0) not in told:
            with transaction.atomic():
                if _claim(item, 0, now):
                    result.owners_told += _tell(item, [item.owner], 0, now)
        due_rungs = min(TOP, int((now - item.due_at) / step))
        if due_rungs > item.escalation_level:
            _step(item.pk, now, result)
    return result

"""Scoped reads of the ledger. Who sees an item, and who sees its sensitive detail."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from fangkong.org import access
from fangkong.org.models import Role, Unit

from .models import OPEN_STATES, Item

LIST_ROLES = access.ADMIN_ROLES | {Role.GRID_LEADER}
DETAIL_ROLES = frozenset({Role.ENTERPRISE_ADMIN})


def visible_items(user) -> QuerySet[Item]:
    """Items on units the user reaches as an admin or grid leader, plus the items it owns."""
    units = access.visible_units(user, LIST_ROLES)
    q = Q(unit__in=units.values("pk"))
    if user is not None and user.is_authenticated:
        q |= Q(owner=user)
    return Item.objects.filter(q)


def can_see_detail(user, item: Item) -> bool:
    """Symptoms and follow-up detail: the enterprise's prevention officers and the item's owner."""
    if user.is_superuser or (item.owner_id is not None and item.owner_id == user.pk):
        return True
    return access.has_role(user, DETAIL_ROLES, item.unit)


def open_items_by_unit(subtree: QuerySet[Unit]) -> dict[int, int]:
    rows = (
        Item.objects.filter(unit__in=subtree.values("pk"), state__in=OPEN_STATES)
        .values("unit_id")
        .annotate(n=Count("id"))
    )
    return {r["unit_id"]: r["n"] for r in rows}


def overdue(qs: QuerySet[Item]) -> QuerySet[Item]:
    return qs.filter(state__in=OPEN_STATES, due_at__lt=timezone.now())

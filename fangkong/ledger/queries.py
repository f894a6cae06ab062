"""Scoped reads of the ledger. Who sees an item, and who sees its sensitive detail."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import Http404, QueryDict
from django.utils import timezone

from fangkong.lib.dates import business_day, day_bounds
from fangkong.org import access
from fangkong.org.models import Role, Unit

from .models import OPEN_STATES, Event, Item, Kind, State

LIST_ROLES = access.ADMIN_ROLES | {Role.GRID_LEADER}
DETAIL_ROLES = access.HEALTH_DETAIL_ROLES


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


def overdue(qs: QuerySet[Item]) -> QuerySet[Item]:
    return qs.filter(state__in=OPEN_STATES, due_at__lt=timezone.now())


# Who may narrow a list to a unit: anyone who can list items there, and trackers (their own items).
FILTER_ROLES = LIST_ROLES | {Role.TRACKER}
# Who may act on an item besides its owner: the enterprise's officers and the grid leaders over it.
ACT_ROLES = frozenset({Role.ENTERPRISE_ADMIN, Role.GRID_LEADER})
# Who may be made an item's owner: these roles held on the item's unit or one above it.
OWNER_ROLES = frozenset({Role.TRACKER, Role.GRID_LEADER, Role.ENTERPRISE_ADMIN})
STATE_FILTERS: dict[str, tuple[str, ...]] = {
    "active": tuple(OPEN_STATES),
    State.OPEN: (State.OPEN,),
    State.IN_PROGRESS: (State.IN_PROGRESS,),
    State.CLOSED: (State.CLOSED,),
    "all": tuple(State.values),
}
OWNER_FILTERS = ("", "me", "none")
# Event data anyone who sees the item may read; the rest (notes, temperatures, medical visits, test
# results, close reasons and evidence) is detail.
PUBLIC_EVENT_DATA: dict[str, tuple[str, ...]] = {
    Event.Type.OPENED: ("owner", "due_at"),
    Event.Type.ASSIGNED: ("owner", "due_at"),
    Event.Type.ESCALATED: ("to", "level", "reason"),
}


# --- rules shared by the pages and the API ---------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    unit: str = ""
    kind: str = ""
    state: str = "active"
    owner: str = ""  # "", "me" or "none" (unassigned)
    overdue: bool = False
    today: bool = False

    @classmethod
    def from_query(cls, q: QueryDict) -> Filters:
        """Lenient, for pages: an unknown value falls back to the default."""
        kind = q.get("kind", "")
        state = q.get("state", "active")
        owner = q.get("owner", "")
        return cls(
            unit=q.get("unit", "").strip()[:32],
            kind=kind if kind in Kind.values else "",
            state=state if state in STATE_FILTERS else "active",
            owner=owner if owner in OWNER_FILTERS else "",
            overdue=q.get("overdue") in ("1", "on", "true"),
            today=q.get("today") in ("1", "on", "true"),
        )

    def query(self, **override: Any) -> str:
        params = {k: v for k, v in {**asdict(self), **override}.items() if v not in ("", False)}
        qd = QueryDict(mutable=True)
        for k, v in params.items():
            qd[k] = "1" if v is True else v
        return qd.urlencode()


def filtered_items(user, f: Filters) -> QuerySet[Item]:
    """The caller's items matching `f`, by due time. A unit out of the caller's scope is Http404."""
    items = visible_items(user)
    tz_name = None
    if f.unit:
        unit = access.unit_for_user(user, f.unit, FILTER_ROLES)
        items = items.filter(unit__path__startswith=unit.path)
        tz_name = _zone_of(unit)
    if f.kind:
        items = items.filter(kind=f.kind)
    items = items.filter(state__in=STATE_FILTERS[f.state])
    if f.owner == "me":
        items = items.filter(owner=user)
    elif f.owner == "none":
        items = items.filter(owner__isnull=True)
    if f.overdue:
        items = overdue(items)
    if f.today:
        # "Today" is the local day of the unit asked for, else of the site's default zone.
        tz_name = tz_name or timezone.get_current_timezone_name()
        start, end = day_bounds(tz_name, business_day(tz_name))
        items = items.filter(due_at__gte=start, due_at__lt=end)
    return items.select_related("unit", "enterprise", "owner", "person").order_by("due_at", "pk")


def item_for_user(user, uid: uuid.UUID | str) -> Item:
    """The item if the caller may see it, else Http404 (same as absent)."""
    try:
        uid = uuid.UUID(str(uid))
    except ValueError:
        raise Http404("No such item") from None
    related = ("unit", "enterprise", "owner", "person")
    item = visible_items(user).select_related(*related).filter(uid=uid).first()
    if item is None:
        raise Http404("No such item")
    return item


def can_act(user, item: Item) -> bool:
    """Assign, follow up, close, reopen: the owner, or an enterprise officer or grid leader over it."""
    if user.is_superuser or (item.owner_id is not None and item.owner_id == user.pk):
        return True
    return access.has_role(user, ACT_ROLES, item.unit)


def owner_candidates(item: Item) -> QuerySet[Any]:
    """Users holding an owner role on the item's unit or above it (never a search across the group)."""
    chain = [*item.unit.ancestor_ids, item.unit.pk]
    return (
        get_user_model()
        .objects.filter(is_active=True, grants__unit_id__in=chain, grants__role__in=list(OWNER_ROLES))
        .distinct()
        .order_by("username")
    )


def event_data(event: Event, detail: bool) -> dict[str, Any]:
    """The event's data as this viewer may read it."""
    if detail:
        return dict(event.data)
    keys = PUBLIC_EVENT_DATA.get(event.type, ())
    return {k: v for k, v in event.data.items() if k in keys}


def is_overdue(item: Item, now: datetime | None = None) -> bool:
    return item.is_open and item.due_at < (now or timezone.now())


def _zone_of(unit: Unit | None) -> str | None:
    return unit.timezone if unit is not None else None

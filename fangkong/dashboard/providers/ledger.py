"""Ledger figures: open and overdue items, and the overdue items themselves (no health detail)."""

from __future__ import annotations

from bisect import bisect_left
from datetime import date, datetime

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from fangkong.ledger.models import OPEN_STATES, Item, Kind
from fangkong.lib.dates import day_bounds
from fangkong.org.models import Unit

from ..figures import Context, Figure, Overdue, Section, Value

OVERDUE_SHOWN = 20


def _items_link(code: str, day: str) -> str:
    return f"{reverse('ledger_items')}?unit={code}"


def _overdue_link(code: str, day: str) -> str:
    return f"{reverse('ledger_items')}?unit={code}&overdue=1"


def _open_at(items: QuerySet[Item], ctx: Context) -> QuerySet[Item]:
    """Items open at the reading instant: by state today (as the roll-up counts), by dates before."""
    if ctx.is_today:
        return items.filter(state__in=OPEN_STATES)
    at = ctx.as_of
    return items.filter(opened_at__lt=at).filter(Q(closed_at__isnull=True) | Q(closed_at__gte=at))


class LedgerFigures:
    name = "ledger"
    figures: tuple[Figure, ...] = (
        Figure("open_items", pgettext_lazy("dashboard", "open ledger items"), link=_items_link),
        Figure("overdue_items", pgettext_lazy("dashboard", "overdue ledger items"), link=_overdue_link),
    )

    def available(self) -> bool:
        return True

    def section(self, ctx: Context) -> Section:
        subtree = Item.objects.filter(unit__path__startswith=ctx.unit.path)
        open_items = _open_at(subtree, ctx)
        overdue = Q(due_at__lt=ctx.as_of)
        overdue_items = open_items.filter(overdue)
        section = Section()
        section.values = {"open_items": 0, "overdue_items": 0}
        # Both counts in one pass over the open items (each pass joins them to their units).
        per_unit = open_items.values("unit__path").annotate(
            open_items=Count("id"), overdue_items=Count("id", filter=overdue)
        )
        for row in per_unit:
            child = ctx.child_of(row["unit__path"])
            for key in ("open_items", "overdue_items"):
                section.values[key] += row[key]
                if child is not None:
                    values = section.children.setdefault(child, {"open_items": 0, "overdue_items": 0})
                    values[key] += row[key]
        for c in ctx.children:
            section.children.setdefault(c.pk, {"open_items": 0, "overdue_items": 0})
        if ctx.brief:
            return section
        rows = overdue_items.select_related("unit", "owner").order_by("due_at", "pk")[:OVERDUE_SHOWN]
        for item in rows:
            section.overdue.append(
                Overdue(
                    kind=str(Kind(item.kind).label),
                    unit_code=item.unit.code,
                    unit_name=item.unit.name,
                    owner=(item.owner.get_full_name() or item.owner.username) if item.owner else "",
                    due_at=item.due_at,
                    late=ctx.as_of - item.due_at,
                    url=reverse("ledger_item", kwargs={"uid": item.uid}),
                )
            )
        return section

    def series(self, unit: Unit, days: list[date]) -> dict[str, list[Value]]:
        """Open and overdue items at the end of each day, from the items' dates (one query).

        open(t) = opened before t − closed before t; overdue(t) = due before t − (due and closed)
        before t, i.e. max(due, closed) before t. Items closed before the range add nothing.
        """
        first = day_bounds(unit.timezone, days[0])[0]
        rows = Item.objects.filter(unit__path__startswith=unit.path).filter(
            Q(closed_at__isnull=True) | Q(closed_at__gte=first)
        )
        opened: list[datetime] = []
        closed: list[datetime] = []
        due: list[datetime] = []
        done: list[datetime] = []
        for o, c, at in rows.values_list("opened_at", "closed_at", "due_at").iterator(chunk_size=5000):
            opened.append(o)
            due.append(at)
            if c is not None:
                closed.append(c)
                done.append(max(c, at))
        for seq in (opened, closed, due, done):
            seq.sort()
        out: dict[str, list[Value]] = {"open_items": [], "overdue_items": []}
        now = timezone.now()
        for d in days:
            t: datetime = min(now, day_bounds(unit.timezone, d)[1])
            out["open_items"].append(bisect_left(opened, t) - bisect_left(closed, t))
            out["overdue_items"].append(bisect_left(due, t) - bisect_left(done, t))
        return out

"""Scoped reads of supplies and donations: who sees what, totals, and donation coverage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from fangkong.ledger.models import OPEN_STATES, Item, Kind
from fangkong.org import access
from fangkong.org.models import Person, Role, Unit

from .models import Donation, Movement, Stock

# Who reads stock and donations: the admins over the unit (the group and segments read, the
# enterprise's prevention officer keeps them).
READ_ROLES = access.ADMIN_ROLES
# Who moves stock: the enterprise's prevention officer (an enterprise admin), on its enterprise.
STOCK_ROLES = frozenset({Role.ENTERPRISE_ADMIN})
# Who records donations: any admin, for a unit it administers (a segment or the group donates too).
DONATION_ROLES = access.ADMIN_ROLES


def unit_for(user, code: str) -> Unit:
    return access.unit_for_user(user, code, READ_ROLES)


def default_unit(user) -> Unit | None:
    units = access.visible_units(user, READ_ROLES).order_by("depth", "path")
    return units.first()


def can_move_stock(user, unit: Unit) -> bool:
    return unit.kind == Unit.Kind.ENTERPRISE and access.has_role(user, STOCK_ROLES, unit)


def can_record_donation(user, unit: Unit) -> bool:
    return access.has_role(user, DONATION_ROLES, unit)


def stock_in(unit: Unit) -> QuerySet[Stock]:
    return (
        Stock.objects.filter(enterprise__path__startswith=unit.path)
        .select_related("enterprise", "item")
        .order_by("enterprise__path", "item__sort")
    )


def open_shortages(unit: Unit) -> QuerySet[Item]:
    return Item.objects.filter(
        kind=Kind.SUPPLY_SHORTAGE, state__in=OPEN_STATES, unit__path__startswith=unit.path
    )


def movements_in(unit: Unit) -> QuerySet[Movement]:
    return Movement.objects.filter(enterprise__path__startswith=unit.path).select_related(
        "enterprise", "item"
    )


def donations_in(unit: Unit) -> QuerySet[Donation]:
    return Donation.objects.filter(unit__path__startswith=unit.path).select_related("unit", "person", "item")


@dataclass(frozen=True)
class Coverage:
    donors: int
    roster: int

    @property
    def rate(self) -> Decimal | None:
        if not self.roster:
            return None
        return (Decimal(self.donors) * 100 / self.roster).quantize(Decimal("0.1"))


def coverage(unit: Unit, *, since: date | None = None, until: date | None = None) -> Coverage:
    """The share of the unit subtree's current roster who personally gave (computed, never typed)."""
    roster = Person.objects.filter(unit__path__startswith=unit.path, status=Person.Status.ACTIVE)
    gifts = Donation.objects.filter(direction=Donation.Direction.GIVEN, person__isnull=False)
    if since:
        gifts = gifts.filter(day__gte=since)
    if until:
        gifts = gifts.filter(day__lte=until)
    donors = roster.filter(pk__in=gifts.values("person_id")).count()
    return Coverage(donors=donors, roster=roster.count())


def totals_by_unit(unit: Unit) -> list[dict]:
    """Money given and received and the number of donations, for the unit itself and each child."""
    rows = []
    for child in [unit, *unit.children.order_by("code")]:
        qs = Donation.objects.filter(unit_id=child.pk) if child == unit else donations_in(child)
        agg = qs.aggregate(
            given=Sum("amount", filter=Q(direction=Donation.Direction.GIVEN)),
            received=Sum("amount", filter=Q(direction=Donation.Direction.RECEIVED)),
            n=Count("id"),
        )
        if child == unit and not agg["n"]:
            continue
        rows.append({"unit": child, "own": child == unit, **agg})
    return rows


def totals_by_recipient(unit: Unit, limit: int = 20) -> list[dict]:
    """What the subtree gave, by recipient, largest money total first."""
    return list(
        donations_in(unit)
        .filter(direction=Donation.Direction.GIVEN)
        .values("counterparty")
        .annotate(money=Sum("amount"), goods=Sum("quantity"), n=Count("id"))
        .order_by("-money", "counterparty")[:limit]
    )

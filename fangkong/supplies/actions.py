"""Every change of supplies and donations: stock movements, the cover setting, donations.

Stock can never go below zero. The stock row is locked (select_for_update) while a movement is
checked and applied, the quantity moves with F() in the database, and a CheckConstraint on the row
refuses a negative quantity whatever path wrote it: two officers issuing the last masks at once get
one success and one clear refusal, never a negative stock.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.actions import actor_name, record
from fangkong.ledger import actions as ledger
from fangkong.ledger.models import OPEN_STATES, CloseReason, Item, Kind
from fangkong.lib.dates import business_day
from fangkong.org import access
from fangkong.org.actions import ActionError
from fangkong.org.models import Person, Role, Unit

from .cover import Cover, cover_of
from .models import Donation, Movement, Stock, SupplyItem

INBOUND = (Movement.Kind.RECEIVED, Movement.Kind.DONATED_IN)
OUTBOUND = (Movement.Kind.ISSUED, Movement.Kind.DONATED_OUT)
BACKDATE_DAYS = 30  # a movement or donation may be entered up to this many days after it happened
MAX_QUANTITY = 10**9
MAX_AMOUNT = Decimal("1000000000000")


def _quantity(value: Any, *, signed: bool) -> int:
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        raise ActionError(_("a whole number is required"), "quantity") from None
    if n == 0 or (n < 0 and not signed):
        raise ActionError(
            _("must not be zero") if signed else _("must be a positive whole number"), "quantity"
        )
    if abs(n) > MAX_QUANTITY:
        raise ActionError(_("too large"), "quantity")
    return n


def _day(value: date | None, unit: Unit) -> date:
    today = business_day(unit.timezone)
    if value is None:
        return today
    if value > today:
        raise ActionError(_("must not be in the future"), "day")
    if value < today - timedelta(days=BACKDATE_DAYS):
        raise ActionError(_("may be at most %(n)d days ago") % {"n": BACKDATE_DAYS}, "day")
    return value


def _enterprise(unit: Unit) -> Unit:
    if unit.kind != Unit.Kind.ENTERPRISE:
        raise ActionError(_("stock is kept per enterprise"), "unit")
    return unit


def _locked_stock(enterprise: Unit, item: SupplyItem) -> Stock:
    stock, _created = Stock.objects.get_or_create(enterprise=enterprise, item=item)
    return Stock.objects.select_for_update().select_related("item", "enterprise").get(pk=stock.pk)


@transaction.atomic
def record_movement(
    actor: Any,
    enterprise: Unit,
    item: SupplyItem,
    kind: str,
    quantity: Any,
    *,
    day: date | None = None,
    counterpart: str = "",
    note: str = "",
    donation: Donation | None = None,
) -> Movement:
    """Move stock: in for received / donated in, out for issued / donated out, ± for an adjustment."""
    _enterprise(enterprise)
    if kind not in Movement.Kind.values:
        raise ActionError(_("choose a kind of movement"), "kind")
    n = _quantity(quantity, signed=kind == Movement.Kind.ADJUSTED)
    delta = -n if kind in OUTBOUND else n
    day = _day(day, enterprise)
    stock = _locked_stock(enterprise, item)
    if stock.quantity + delta < 0:
        raise ActionError(
            _("only %(n)s %(unit)s in stock") % {"n": stock.quantity, "unit": item.unit_label}, "quantity"
        )
    try:
        with transaction.atomic():
            Stock.objects.filter(pk=stock.pk).update(
                quantity=F("quantity") + delta, updated_at=timezone.now()
            )
    except IntegrityError:  # the database's own guard (supplies_stock_not_negative)
        raise ActionError(_("not enough in stock"), "quantity") from None
    stock.refresh_from_db(fields=["quantity"])
    movement = Movement.objects.create(
        stock=stock,
        enterprise=enterprise,
        item=item,
        kind=kind,
        quantity=delta,
        balance=stock.quantity,
        day=day,
        at=timezone.now(),
        actor=actor_name(actor)[:150],
        counterpart=counterpart.strip()[:128],
        note=note.strip()[:300],
        donation=donation,
    )
    record(
        actor,
        "supplies.move",
        "supply_stock",
        stock.pk,
        unit_code=enterprise.code,
        detail={
            "item": item.code,
            "kind": kind,
            "quantity": delta,
            "balance": stock.quantity,
            "day": str(day),
        },
    )
    review_cover(actor, stock)
    return movement


@transaction.atomic
def set_cover_days(actor: Any, enterprise: Unit, item: SupplyItem, days: Any) -> Stock:
    """The cover below which this stock is short (default 7 days)."""
    _enterprise(enterprise)
    try:
        n = int(str(days).strip())
    except (TypeError, ValueError):
        raise ActionError(_("a whole number of days is required"), "cover_days") from None
    if not 1 <= n <= 365:
        raise ActionError(_("between 1 and 365 days"), "cover_days")
    stock = _locked_stock(enterprise, item)
    old = stock.cover_days
    Stock.objects.filter(pk=stock.pk).update(cover_days=n)
    stock.cover_days = n
    record(
        actor,
        "supplies.set_cover",
        "supply_stock",
        stock.pk,
        unit_code=enterprise.code,
        detail={"item": item.code, "from": old, "to": n},
    )
    review_cover(actor, stock)
    return stock


def shortage_key(stock: Stock) -> str:
    return f"supply:{stock.pk}"


def review_cover(actor: Any, stock: Stock, today: date | None = None) -> Cover:
    """Open the stock's shortage item when its cover falls below the setting; close it once restored."""
    cover = cover_of(stock, today)
    key = shortage_key(stock)
    if cover.short:
        ent, item = stock.enterprise, stock.item
        owners = access.holders(ent, (Role.ENTERPRISE_ADMIN,))
        ledger.open_item(
            actor,
            kind=Kind.SUPPLY_SHORTAGE,
            key=key,
            unit=ent,
            title=_("%(unit)s: %(item)s short, %(days)s days of cover (target %(target)d)")
            % {"unit": ent.name, "item": item.name, "days": cover.days, "target": stock.cover_days},
            due_at=ledger.default_due(48),
            owner=owners[0] if owners else None,
            detail={
                "item": item.code,
                "quantity": stock.quantity,
                "daily_use": str(cover.daily_use),
                "cover_days": str(cover.days),
                "target": stock.cover_days,
            },
        )
    else:
        for open_item in Item.objects.filter(kind=Kind.SUPPLY_SHORTAGE, key=key, state__in=OPEN_STATES):
            ledger.close_item(
                actor,
                open_item,
                reason=CloseReason.RESOLVED,
                note=_("cover restored: %(days)s days")
                % {"days": cover.days if cover.days is not None else "∞"},
            )
    return cover


def scan_shortages(actor: Any = "system") -> int:
    """Review every stock row (cover also falls as days pass with the same use): for a daily job."""
    n = 0
    for stock in Stock.objects.select_related("enterprise", "item").iterator(chunk_size=2000):
        with transaction.atomic():
            review_cover(actor, stock)
        n += 1
    return n


# --- donations ------------------------------------------------------------------------------------


def _amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ActionError(_("an amount in yuan is required, e.g. 500 or 199.50"), "amount") from None
    if not amount.is_finite() or amount <= 0:
        raise ActionError(_("must be more than zero"), "amount")
    if amount >= MAX_AMOUNT:  # before quantize: 1e309 has no room for two decimals
        raise ActionError(_("too large"), "amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise ActionError(_("at most two decimals (fen)"), "amount")
    return amount


def _receipt_no(day: date) -> str:
    """Readable and unique without a shared counter: the day and a random suffix."""
    return f"JZ{day:%Y%m%d}-{uuid.uuid4().hex[:8].upper()}"


@transaction.atomic
def record_donation(
    actor: Any,
    *,
    unit: Unit,
    direction: str,
    kind: str,
    counterparty: str,
    purpose: str = "",
    amount: Any = None,
    item: SupplyItem | None = None,
    goods: str = "",
    quantity: Any = None,
    person: Person | None = None,
    day: date | None = None,
) -> Donation:
    """Record a donation. Goods of the item list given or received by an enterprise (not by a person)
    move its stock too (donated out / donated in), in the same transaction."""
    if direction not in Donation.Direction.values:
        raise ActionError(_("choose given or received"), "direction")
    if kind not in Donation.Kind.values:
        raise ActionError(_("choose money or goods"), "kind")
    counterparty = counterparty.strip()
    if not counterparty:
        field_msg = _("who received it?") if direction == Donation.Direction.GIVEN else _("who gave it?")
        raise ActionError(field_msg, "counterparty")
    if person is not None:
        if direction != Donation.Direction.GIVEN:
            raise ActionError(_("a person can only be recorded as a donor"), "person")
        if not person.unit.path.startswith(unit.path):
            raise ActionError(_("this person is not on the unit's roster"), "person")
    day = _day(day, unit.enterprise or unit)
    fields: dict[str, Any] = {}
    if kind == Donation.Kind.MONEY:
        fields["amount"] = _amount(amount)
    else:
        goods = goods.strip()
        if item is None and not goods:
            raise ActionError(_("choose an item or describe the goods"), "item")
        fields.update(
            item=item, goods="" if item else goods[:128], quantity=_quantity(quantity, signed=False)
        )
    donation = Donation.objects.create(
        receipt_no=_receipt_no(day),
        direction=direction,
        kind=kind,
        unit=unit,
        person=person,
        counterparty=counterparty[:128],
        purpose=purpose.strip()[:200],
        day=day,
        created_by=actor if getattr(actor, "pk", None) else None,
        **fields,
    )
    record(
        actor,
        "supplies.donate",
        "donation",
        donation.uid,
        unit_code=unit.code,
        detail={
            "direction": direction,
            "kind": kind,
            "amount": str(donation.amount) if donation.amount is not None else None,
            "item": item.code if item else donation.goods,
            "quantity": donation.quantity,
            "person": person.employee_no if person else None,
        },
    )
    if item is not None and person is None and unit.kind == Unit.Kind.ENTERPRISE:
        record_movement(
            actor,
            unit,
            item,
            Movement.Kind.DONATED_OUT if direction == Donation.Direction.GIVEN else Movement.Kind.DONATED_IN,
            donation.quantity,
            day=day,
            counterpart=counterparty,
            note=donation.receipt_no,
            donation=donation,
        )
    return donation

"""Protective supplies (stock per enterprise, movements) and donations (money and goods)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from fangkong.org.models import Person, Unit

DEFAULT_COVER_DAYS = 7  # below this many days of cover a shortage item opens (per stock row)
USE_WINDOW_DAYS = 7  # days of cover = stock / average daily issue over this many days


def _zh() -> bool:
    return (get_language() or "").lower().startswith("zh")


class SupplyItem(models.Model):
    """A kind of protective supply; the list is data (supplies/data/items.csv)."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=64)
    name_en = models.CharField(max_length=64)
    unit = models.CharField(max_length=16)
    unit_en = models.CharField(max_length=16)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.name if _zh() else self.name_en

    @property
    def unit_label(self) -> str:
        return self.unit if _zh() else self.unit_en


class Stock(models.Model):
    """What one enterprise holds of one item. `quantity` moves only through supplies.actions."""

    enterprise = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="supply_stock")
    item = models.ForeignKey(SupplyItem, on_delete=models.PROTECT, related_name="stock")
    quantity = models.BigIntegerField(default=0)
    cover_days = models.PositiveSmallIntegerField(default=DEFAULT_COVER_DAYS)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["enterprise_id", "item__sort"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "item"], name="supplies_one_stock_per_item"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="supplies_stock_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id}:{self.item_id}={self.quantity}"


class Movement(models.Model):
    """One change of a stock row; `quantity` is signed (+ in, − out), `balance` the stock after it."""

    class Kind(models.TextChoices):
        RECEIVED = "received", _("received")
        ISSUED = "issued", _("issued")
        DONATED_OUT = "donated_out", _("donated out")
        DONATED_IN = "donated_in", _("donated in")
        ADJUSTED = "adjusted", _("adjusted (stocktaking)")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    stock = models.ForeignKey(Stock, on_delete=models.PROTECT, related_name="movements")
    enterprise = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(SupplyItem, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    quantity = models.BigIntegerField()
    balance = models.BigIntegerField()
    day = models.DateField()  # the enterprise's business day it happened on
    at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    counterpart = models.CharField(max_length=128, blank=True)  # supplier, receiving grid, donor …
    note = models.CharField(max_length=300, blank=True)
    donation = models.ForeignKey(
        "Donation", null=True, blank=True, on_delete=models.PROTECT, related_name="movements"
    )

    class Meta:
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="supplies_movement_not_zero"),
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="supplies_movement_balance_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["stock", "kind", "day"], name="supplies_move_use_idx"),
            models.Index(fields=["enterprise", "at"], name="supplies_move_ent_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity} of {self.item_id}"


class Donation(models.Model):
    """Money (CNY) or goods, given or received, by a unit or one of its people."""

    class Direction(models.TextChoices):
        GIVEN = "given", _("given")
        RECEIVED = "received", _("received")

    class Kind(models.TextChoices):
        MONEY = "money", _("money")
        GOODS = "goods", _("goods")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    receipt_no = models.CharField(max_length=32, unique=True)
    direction = models.CharField(max_length=8, choices=Direction.choices)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="donations")
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="donations"
    )
    # recipient when given, donor when received
    counterparty = models.CharField(max_length=128)
    purpose = models.CharField(max_length=200, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    item = models.ForeignKey(SupplyItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    goods = models.CharField(max_length=128, blank=True)  # goods outside the item list
    quantity = models.BigIntegerField(null=True, blank=True)
    day = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-day", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="money", amount__gt=0, quantity__isnull=True))
                | (Q(kind="goods", amount__isnull=True, quantity__gt=0)),
                name="supplies_donation_money_or_goods",
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "day"], name="supplies_donation_unit_idx"),
            models.Index(fields=["person", "direction"], name="supplies_donation_person_idx"),
        ]

    def __str__(self) -> str:
        return self.receipt_no

    @property
    def goods_label(self) -> str:
        return self.item.label if self.item else self.goods

    @property
    def donor_label(self) -> str:
        if self.direction == self.Direction.RECEIVED:
            return self.counterparty
        return self.person.name if self.person else self.unit.name

    @property
    def recipient_label(self) -> str:
        if self.direction == self.Direction.GIVEN:
            return self.counterparty
        return self.unit.name

"""Days of cover: stock divided by the average daily use (issued) over the last 7 business days."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum

from fangkong.lib.dates import business_day

from .models import USE_WINDOW_DAYS, Movement, Stock


@dataclass(frozen=True)
class Cover:
    quantity: int
    daily_use: Decimal  # average issued per day over the window
    days: Decimal | None  # None: nothing was used, the stock lasts indefinitely
    target: int

    @property
    def short(self) -> bool:
        return self.days is not None and self.days < self.target


def window(today: date) -> tuple[date, date]:
    """The use window ending on (and including) `today`."""
    return today - timedelta(days=USE_WINDOW_DAYS - 1), today


def compute(quantity: int, issued: int, target: int) -> Cover:
    daily = (Decimal(issued) / USE_WINDOW_DAYS).quantize(Decimal("0.01"), ROUND_HALF_UP)
    days = None
    if issued > 0:
        days = (Decimal(quantity) * USE_WINDOW_DAYS / Decimal(issued)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return Cover(quantity=quantity, daily_use=daily, days=days, target=target)


def cover_of(stock: Stock, today: date | None = None) -> Cover:
    today = today or business_day(stock.enterprise.timezone)
    first, last = window(today)
    issued = Movement.objects.filter(
        stock=stock, kind=Movement.Kind.ISSUED, day__gte=first, day__lte=last
    ).aggregate(n=Sum("quantity"))["n"]
    return compute(stock.quantity, -(issued or 0), stock.cover_days)


def covers(stocks: Iterable[Stock]) -> dict[int, Cover]:
    """Cover of many stock rows (each with its enterprise) in one grouped query."""
    stocks = list(stocks)
    if not stocks:
        return {}
    todays = {s.pk: business_day(s.enterprise.timezone) for s in stocks}
    earliest = window(min(todays.values()))[0]
    used: dict[int, int] = defaultdict(int)
    rows = (
        Movement.objects.filter(
            stock__in=[s.pk for s in stocks], kind=Movement.Kind.ISSUED, day__gte=earliest
        )
        .values("stock_id", "day")
        .annotate(n=Sum("quantity"))
    )
    for row in rows:
        first, last = window(todays[row["stock_id"]])
        if first <= row["day"] <= last:
            used[row["stock_id"]] += -row["n"]
    return {s.pk: compute(s.quantity, used[s.pk], s.cover_days) for s in stocks}

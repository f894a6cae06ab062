"""Synthetic supplies and donations history for `fangkong generate` and `fangkong demo`.

Sized by enterprises, not people: per enterprise a stock of every item, a delivery every few days,
daily issues of the consumables (masks, gloves, disinfectant) and weekly issues of the rest; about one
enterprise in eight ends the history short of something (a shortage item open in the ledger). Donations:
one to three by each enterprise (money to charities, masks to the community, some received), and
gifts by up to 30 of its employees in the first weeks.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection
from django.utils.translation import gettext

from fangkong.ledger.models import Event, Item, Kind
from fangkong.org.bulk import insert_rows
from fangkong.org.generate import HistoryContext, register_history, seeded_uuid
from fangkong.org.models import Person, Unit

from .cover import compute
from .models import Donation, Movement, Stock, SupplyItem

# item code -> (daily use per 100 people, issued daily)
USE = {
    "mask_surgical": (160, True),
    "mask_n95": (8, False),
    "suit": (1, False),
    "goggles": (1, False),
    "gloves": (40, True),
    "thermometer": (0.1, False),
    "disinfectant_84": (3, True),
    "alcohol_75": (2, False),
    "hand_sanitizer": (2, False),
}
SUPPLIERS = (
    "国药控股",
    "九州通医药",
    "稳健医疗",
    "振德医疗",
    "上海医药",
    "当地防疫物资保障组",
    "集团物资中心",
)
CHARITIES = (
    "武汉市慈善总会",
    "湖北省红十字会",
    "中华慈善总会",
    "中国红十字基金会",
    "当地社区防控指挥部",
    "对口支援医院",
)
DONORS_IN = ("合作伙伴单位", "校友会", "当地商会", "海外华人华侨联合会", "上游供应商")
PURPOSES = ("抗击新冠肺炎疫情", "支援一线医护人员", "社区联防联控", "采购防护物资")
STAFF_GIFTS = (Decimal("50"), Decimal("100"), Decimal("200"), Decimal("300"), Decimal("500"), Decimal("1000"))
MAX_STAFF_DONORS = 30
MOVEMENT_COLUMNS = (
    "uid",
    "stock_id",
    "enterprise_id",
    "item_id",
    "kind",
    "quantity",
    "balance",
    "day",
    "at",
    "actor",
    "counterpart",
    "note",
)


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)


@register_history
def supplies_history(rng: random.Random, days: int, ctx: HistoryContext) -> Mapping[str, int]:
    if days <= 0:
        return {}
    items = {i.code: i for i in SupplyItem.objects.all()}
    enterprises = list(Unit.objects.filter(kind=Unit.Kind.ENTERPRISE).order_by("pk"))
    headcount: dict[int, int] = {}
    for ent_id in Person.objects.filter(status=Person.Status.ACTIVE).values_list("enterprise_id", flat=True):
        headcount[ent_id] = headcount.get(ent_id, 0) + 1
    first = ctx.today - timedelta(days=days - 1)
    stocks = [Stock(enterprise=e, item=i, quantity=0) for e in enterprises for i in items.values()]
    histories: list[list[tuple]] = []
    shortages: list[tuple[Stock, object]] = []
    for stock in stocks:
        short = rng.random() < 0.03  # about one enterprise in five runs short of an item or another
        moves, balance, issued_window = _stock_history(rng, stock, headcount, first, ctx.today, short)
        histories.append(moves)
        stock.quantity = balance
        cover = compute(balance, issued_window, stock.cover_days)
        if cover.short:
            shortages.append((stock, cover))
    Stock.objects.bulk_create(stocks, batch_size=5000)
    moved = insert_rows(Movement._meta.db_table, MOVEMENT_COLUMNS, _movement_rows(rng, stocks, histories))
    opened = _shortage_items(shortages, ctx.today)
    donations = _donations(rng, enterprises, items, first, ctx.today)
    return {
        "supplies_stock": len(stocks),
        "supplies_movement": moved,
        "supplies_donation": donations,
        "ledger_item (supply shortage)": opened,
    }


def _stock_history(
    rng: random.Random, stock: Stock, headcount: dict[int, int], first: date, today: date, short: bool
) -> tuple[list[tuple], int, int]:
    per100, daily = USE[stock.item.code]
    people = max(headcount.get(stock.enterprise.pk, 0), 20)
    use = max(1, round(people * per100 / 100))  # per day
    balance, issued_window, moves = 0, 0, []
    day = first
    n = 0
    while day <= today:
        offset = (today - day).days
        every = 5 if daily else 14  # deliveries: consumables every five days, the rest fortnightly
        if n == 0 or (day.toordinal() % every == stock.enterprise.pk % every and not (short and offset < 10)):
            quantity = use * (rng.randint(5, 7) if daily else rng.randint(20, 30))
            balance += quantity
            moves.append((Movement.Kind.RECEIVED, quantity, balance, day, 9, rng.choice(SUPPLIERS)))
        step = 1 if daily else 7
        if n % step == step - 1 or (not daily and offset == 0):
            want = round(use * step * rng.uniform(0.7, 1.3)) or 1
            quantity = min(want, balance)
            if quantity > 0:
                balance -= quantity
                moves.append((Movement.Kind.ISSUED, -quantity, balance, day, 10, "各车间班组"))
                if offset < 7:
                    issued_window += quantity
        day += timedelta(days=1)
        n += 1
    return moves, balance, issued_window


def _movement_rows(rng: random.Random, stocks: list[Stock], histories: list[list[tuple]]) -> Iterator[tuple]:
    prep_uuid = Movement._meta.get_field("uid").get_db_prep_value
    adapt = connection.ops.adapt_datetimefield_value
    for stock, moves in zip(stocks, histories, strict=True):
        for kind, quantity, balance, day, hour, who in moves:
            yield (
                prep_uuid(seeded_uuid(rng), connection),
                stock.pk,
                stock.enterprise.pk,
                stock.item.pk,
                kind,
                quantity,
                balance,
                day.isoformat(),
                adapt(_at(day, hour)),
                "generate",
                who,
                "",
            )


def _shortage_items(shortages: list[tuple[Stock, object]], today: date) -> int:
    items = []
    for stock, cover in shortages:
        ent, item = stock.enterprise, stock.item
        opened = _at(today, 2)
        items.append(
            Item(
                kind=Kind.SUPPLY_SHORTAGE,
                key=f"supply:{stock.pk}",
                unit=ent,
                enterprise=ent,
                title=gettext("%(unit)s: %(item)s short, %(days)s days of cover (target %(target)d)")
                % {"unit": ent.name, "item": item.name, "days": cover.days, "target": stock.cover_days},  # type: ignore[attr-defined]
                detail={
                    "item": item.code,
                    "quantity": stock.quantity,
                    "daily_use": str(cover.daily_use),  # type: ignore[attr-defined]
                    "cover_days": str(cover.days),  # type: ignore[attr-defined]
                    "target": stock.cover_days,
                },
                due_at=opened + timedelta(hours=48),
                opened_at=opened,
            )
        )
    Item.objects.bulk_create(items, batch_size=2000)
    Event.objects.bulk_create(
        [Event(item=i, type=Event.Type.OPENED, at=i.opened_at, actor="generate") for i in items],
        batch_size=5000,
    )
    return len(items)


def _donations(
    rng: random.Random, enterprises: list[Unit], items: dict[str, SupplyItem], first: date, today: date
) -> int:
    people: dict[int, list[int]] = {}
    for pid, ent_id in Person.objects.filter(status=Person.Status.ACTIVE).values_list("pk", "enterprise_id"):
        bucket = people.setdefault(ent_id, [])
        if len(bucket) < 200:
            bucket.append(pid)
    span = max((today - first).days, 0)
    rows: list[Donation] = []
    seq = 0

    def add(**fields) -> None:
        nonlocal seq
        seq += 1
        day = fields.pop("day", None) or first + timedelta(days=rng.randint(0, min(span, 20)))
        receipt = f"JZ{day:%Y%m%d}-G{seq:06d}"
        rows.append(Donation(uid=seeded_uuid(rng), receipt_no=receipt, day=day, **fields))

    for ent in enterprises:
        for _ in range(rng.randint(1, 3)):
            if rng.random() < 0.7:
                add(
                    direction="given",
                    kind="money",
                    unit=ent,
                    counterparty=rng.choice(CHARITIES),
                    purpose=rng.choice(PURPOSES),
                    amount=Decimal(rng.choice((5, 10, 20, 50, 100))) * 1000,
                )
            else:
                add(
                    direction="received",
                    kind="money",
                    unit=ent,
                    counterparty=rng.choice(DONORS_IN),
                    purpose=rng.choice(PURPOSES),
                    amount=Decimal(rng.choice((2, 5, 10))) * 1000,
                )
        if rng.random() < 0.3:
            add(
                direction="given",
                kind="goods",
                unit=ent,
                counterparty=rng.choice(CHARITIES[3:]),
                purpose="支援社区防控",
                goods=rng.choice(("方便面", "矿泉水", "蔬菜", "消毒喷雾器")),
                quantity=rng.choice((100, 200, 500)),
            )
        staff = people.get(ent.pk, [])
        share = rng.uniform(0.4, 0.95)
        for pid in rng.sample(staff, min(len(staff), MAX_STAFF_DONORS, round(len(staff) * share))):
            add(
                direction="given",
                kind="money",
                unit_id=ent.pk,
                person_id=pid,
                counterparty=rng.choice(CHARITIES[:3]),
                purpose="员工爱心捐款",
                amount=rng.choice(STAFF_GIFTS),
            )
    Donation.objects.bulk_create(rows, batch_size=5000)
    return len(rows)

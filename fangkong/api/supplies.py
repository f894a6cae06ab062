"""API of the supplies and donations module: the stock and donation lists of a unit's subtree.

The router is mounted at the root: paths are written in full after /api/v1. Same scope as the pages
(`supplies.queries.unit_for`: the admins over the unit; out of scope is 404 like absent)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from fangkong.supplies import queries
from fangkong.supplies.cover import covers

from .schemas import answers

router = Router(tags=["supplies"])

PAGE_SIZE = 100


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=1_000_000)


class StockOut(Schema):
    unit: str
    item: str
    item_name: str
    quantity: int
    daily_use: Decimal
    cover_days: Decimal | None
    target_days: int
    short: bool


class StockPage(Schema):
    items: list[StockOut]
    count: int


class DonationOut(Schema):
    uid: uuid.UUID
    receipt_no: str
    day: dt.date
    direction: str
    kind: str
    unit: str
    employee_no: str | None
    counterparty: str
    purpose: str
    amount: Decimal | None
    item: str | None
    goods: str
    quantity: int | None


class DonationPage(Schema):
    items: list[DonationOut]
    count: int


@router.get(
    "/units/{code}/supplies",
    response={200: StockPage, **answers(404, 422)},
    summary="Stock per enterprise and item in the unit's subtree, with days of cover",
)
def list_supplies(request: HttpRequest, code: str, q: Query[PageQuery]):
    unit = queries.unit_for(request.user, code)
    stocks = queries.stock_in(unit)
    rows = list(stocks[(q.page - 1) * PAGE_SIZE : q.page * PAGE_SIZE])
    cover = covers(rows)
    items = [
        {
            "unit": s.enterprise.code,
            "item": s.item.code,
            "item_name": s.item.name,
            "quantity": s.quantity,
            "daily_use": cover[s.pk].daily_use,
            "cover_days": cover[s.pk].days,
            "target_days": s.cover_days,
            "short": cover[s.pk].short,
        }
        for s in rows
    ]
    return {"items": items, "count": stocks.count()}


@router.get(
    "/units/{code}/donations",
    response={200: DonationPage, **answers(404, 422)},
    summary="Donations given and received in the unit's subtree, newest first",
)
def list_donations(request: HttpRequest, code: str, q: Query[PageQuery]):
    unit = queries.unit_for(request.user, code)
    donations = queries.donations_in(unit).order_by("-day", "-pk")
    rows = donations[(q.page - 1) * PAGE_SIZE : q.page * PAGE_SIZE]
    items = [
        {
            "uid": d.uid,
            "receipt_no": d.receipt_no,
            "day": d.day,
            "direction": d.direction,
            "kind": d.kind,
            "unit": d.unit.code,
            "employee_no": d.person.employee_no if d.person else None,
            "counterparty": d.counterparty,
            "purpose": d.purpose,
            "amount": d.amount,
            "item": d.item.code if d.item else None,
            "goods": d.goods,
            "quantity": d.quantity,
        }
        for d in rows
    ]
    return {"items": items, "count": donations.count()}

"""Supplies pages: stock with days of cover, movements, donations with totals and coverage, receipts.

Every page starts from `queries.unit_for` (the admins over a unit; out of scope is 404 like absent).
Stock moves only on an enterprise, by its prevention officer; donations are recorded by any admin
for a unit it administers. One URL per action; an ActionError re-renders the page beside its field.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from fangkong.lib.dates import parse_day
from fangkong.org import access
from fangkong.org.actions import ActionError
from fangkong.org.models import Person, Unit

from . import actions, exports, queries
from .cover import covers
from .models import Donation, Movement, SupplyItem
from .receipts import FontMissing, receipt_pdf

PAGE_SIZE = 50
MOVE_FIELDS = {"item", "kind", "quantity", "day", "cover_days"}
DONATION_FIELDS = {
    "direction",
    "kind",
    "counterparty",
    "amount",
    "item",
    "goods",
    "quantity",
    "employee_no",
    "person",
    "day",
}


class HttpResponseSeeOther(HttpResponseRedirect):
    status_code = 303


def _unit(request: HttpRequest, code: str | None = None) -> Unit:
    code = code if code is not None else request.GET.get("unit", "").strip()
    if code:
        return queries.unit_for(request.user, code)
    unit = queries.default_unit(request.user)
    if unit is None:
        raise Http404("No supplies in your scope")
    return unit


def _crumbs(request: HttpRequest, unit: Unit) -> list[Unit]:
    return [*access.visible_ancestors(request.user, unit, queries.READ_ROLES), unit]


def _day(value: str) -> date | None:
    if not value.strip():
        return None
    try:
        return parse_day(value)
    except ValueError:
        raise ActionError(_("not a date (YYYY-MM-DD)"), "day") from None


# --- stock --------------------------------------------------------------------------------------


def _stock_page(
    request: HttpRequest,
    unit: Unit,
    *,
    error: tuple[str, str] | None = None,
    form: str = "",
    status: int = 200,
) -> HttpResponse:
    page = Paginator(queries.stock_in(unit), PAGE_SIZE).get_page(request.GET.get("page"))
    cover = covers(page.object_list)
    rows = [(s, cover[s.pk]) for s in page.object_list]
    can_move = queries.can_move_stock(request.user, unit)
    context: dict[str, Any] = {
        "unit": unit,
        "crumbs": _crumbs(request, unit),
        "children": unit.children.filter(active=True).order_by("code"),
        "page": page,
        "rows": rows,
        # the open shortage items: one per stock row below its target (kept by actions.review_cover)
        "short": queries.open_shortages(unit).count(),
        "can_move": can_move,
        "items": SupplyItem.objects.all(),
        "kinds": Movement.Kind.choices,
        "movements": queries.movements_in(unit).order_by("-at", "-pk")[:20],
        "error": error,
        "general_error": error[1] if error and error[0] not in MOVE_FIELDS else "",
        "form": form,
        "posted": request.POST if request.method == "POST" else {},
        "query": urlencode({"unit": unit.code}),
    }
    return render(request, "supplies/stock.html", context, status=status)


@require_GET
@never_cache
@login_required
def stock(request: HttpRequest) -> HttpResponse:
    return _stock_page(request, _unit(request))


def _stock_unit_for_writing(request: HttpRequest, code: str) -> Unit:
    unit = queries.unit_for(request.user, code)
    if not queries.can_move_stock(request.user, unit):
        raise PermissionDenied
    return unit


def _item(value: str, field: str = "item") -> SupplyItem:
    item = SupplyItem.objects.filter(code=value).first()
    if item is None:
        raise ActionError(_("choose an item"), field)
    return item


@require_POST
@never_cache
@login_required
def move(request: HttpRequest, code: str) -> HttpResponse:
    unit = _stock_unit_for_writing(request, code)
    p = request.POST
    try:
        actions.record_movement(
            request.user,
            unit,
            _item(p.get("item", "")),
            p.get("kind", ""),
            p.get("quantity", ""),
            day=_day(p.get("day", "")),
            counterpart=p.get("counterpart", ""),
            note=p.get("note", ""),
        )
    except ActionError as exc:
        return _stock_page(request, unit, error=(exc.field, str(exc)), form="move", status=400)
    messages.success(request, _("Movement recorded."))
    return HttpResponseSeeOther(f"{reverse('supplies_stock')}?unit={unit.code}")


@require_POST
@never_cache
@login_required
def set_cover(request: HttpRequest, code: str) -> HttpResponse:
    unit = _stock_unit_for_writing(request, code)
    try:
        actions.set_cover_days(
            request.user, unit, _item(request.POST.get("item", "")), request.POST.get("cover_days", "")
        )
    except ActionError as exc:
        return _stock_page(request, unit, error=(exc.field, str(exc)), form="cover", status=400)
    messages.success(request, _("Cover target saved."))
    return HttpResponseSeeOther(f"{reverse('supplies_stock')}?unit={unit.code}")


@require_GET
@never_cache
@login_required
def stock_export(request: HttpRequest) -> StreamingHttpResponse:
    unit = _unit(request)
    return exports.response(f"stock-{unit.code}", exports.stock_xlsx(unit))


@require_GET
@never_cache
@login_required
def movements_export(request: HttpRequest) -> StreamingHttpResponse:
    unit = _unit(request)
    return exports.response(f"movements-{unit.code}", exports.movements_xlsx(unit))


# --- donations ----------------------------------------------------------------------------------


def _donations_page(
    request: HttpRequest, unit: Unit, *, error: tuple[str, str] | None = None, status: int = 200
) -> HttpResponse:
    donations = queries.donations_in(unit).order_by("-day", "-pk")
    direction = request.GET.get("direction", "")
    if direction in Donation.Direction.values:
        donations = donations.filter(direction=direction)
    page = Paginator(donations, PAGE_SIZE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "unit": unit,
        "crumbs": _crumbs(request, unit),
        "children": unit.children.filter(active=True).order_by("code"),
        "page": page,
        "direction": direction,
        "coverage": queries.coverage(unit),
        "by_unit": queries.totals_by_unit(unit),
        "by_recipient": queries.totals_by_recipient(unit),
        "can_record": queries.can_record_donation(request.user, unit),
        "items": SupplyItem.objects.all(),
        "directions": Donation.Direction.choices,
        "kinds": Donation.Kind.choices,
        "error": error,
        "general_error": error[1] if error and error[0] not in DONATION_FIELDS else "",
        "posted": request.POST if request.method == "POST" else {},
        "query": urlencode({"unit": unit.code, **({"direction": direction} if direction else {})}),
    }
    return render(request, "supplies/donations.html", context, status=status)


@require_GET
@never_cache
@login_required
def donations(request: HttpRequest) -> HttpResponse:
    return _donations_page(request, _unit(request))


@require_POST
@never_cache
@login_required
def donate(request: HttpRequest, code: str) -> HttpResponse:
    unit = queries.unit_for(request.user, code)
    if not queries.can_record_donation(request.user, unit):
        raise PermissionDenied
    p = request.POST
    try:
        person = None
        if employee_no := p.get("employee_no", "").strip():
            person = Person.objects.filter(employee_no=employee_no, unit__path__startswith=unit.path).first()
            if person is None:
                raise ActionError(_("no such employee on this unit's roster"), "employee_no")
        item_code = p.get("item", "")
        donation = actions.record_donation(
            request.user,
            unit=unit,
            direction=p.get("direction", ""),
            kind=p.get("kind", ""),
            counterparty=p.get("counterparty", ""),
            purpose=p.get("purpose", ""),
            amount=p.get("amount", "") if p.get("kind") == Donation.Kind.MONEY else None,
            item=_item(item_code) if item_code and p.get("kind") == Donation.Kind.GOODS else None,
            goods=p.get("goods", ""),
            quantity=p.get("quantity", "") if p.get("kind") == Donation.Kind.GOODS else None,
            person=person,
            day=_day(p.get("day", "")),
        )
    except ActionError as exc:
        return _donations_page(request, unit, error=(exc.field, str(exc)), status=400)
    messages.success(request, _("Donation %(no)s recorded.") % {"no": donation.receipt_no})
    return HttpResponseSeeOther(f"{reverse('supplies_donations')}?unit={unit.code}")


@require_GET
@never_cache
@login_required
def donations_export(request: HttpRequest) -> StreamingHttpResponse:
    unit = _unit(request)
    return exports.response(f"donations-{unit.code}", exports.donations_xlsx(unit))


@require_GET
@never_cache
@login_required
def receipt(request: HttpRequest, donation_uid: uuid.UUID) -> HttpResponse:
    units = access.visible_units(request.user, queries.READ_ROLES)
    donation = Donation.objects.filter(uid=donation_uid, unit__in=units.values("pk")).select_related(
        "unit", "person", "item"
    )
    found = donation.first()
    if found is None:
        raise Http404("No such donation")
    try:
        pdf = receipt_pdf(found)
    except FontMissing as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{found.receipt_no}.pdf"'
    return response


urlpatterns = [
    path("", stock, name="supplies_stock"),
    path("stock.xlsx", stock_export, name="supplies_stock_export"),
    path("movements.xlsx", movements_export, name="supplies_movements_export"),
    path("units/<str:code>/movements/", move, name="supplies_move"),
    path("units/<str:code>/cover/", set_cover, name="supplies_set_cover"),
    path("donations/", donations, name="supplies_donations"),
    path("donations.xlsx", donations_export, name="supplies_donations_export"),
    path("units/<str:code>/donations/", donate, name="supplies_donate"),
    path("donations/<uuid:donation_uid>/receipt.pdf", receipt, name="supplies_receipt"),
]

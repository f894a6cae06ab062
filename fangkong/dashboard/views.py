"""Dashboard pages: a unit's board with drill-down, its trend data, the tile view and the bulletin files.

Every page starts from `access.unit_for_user(user, code, DASHBOARD_ROLES)`: a unit out of scope is
404 like an absent one. Figures come from `queries.board` (the providers), never from the page.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from fangkong.lib.dates import business_day, parse_day
from fangkong.org import access
from fangkong.org.models import Unit

from . import bulletin, queries
from .figures import show, show_delta, show_late
from .queries import DASHBOARD_ROLES, TREND_SPANS


def _day(request: HttpRequest, unit: Unit) -> tuple[date, str]:
    """The day asked for (default: the unit's business day today), and an error to show if unreadable."""
    raw = request.GET.get("date", "").strip()
    if raw:
        try:
            return parse_day(raw), ""
        except ValueError:
            message = _("Date: %(value)s is not a date (YYYY-MM-DD); showing today.")
            return business_day(unit.timezone), message % {"value": raw[:20]}
    return business_day(unit.timezone), ""


def _cells(board: queries.Board, values: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [
        {
            "key": f.key,
            "text": show(values.get(f.key), f.percent),
            "sort": "" if values.get(f.key) is None else values.get(f.key),
            "url": f.url(code, board.day),
        }
        for f in board.figures
    ]


@require_GET
@never_cache
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The units at the top of the caller's dashboard scope."""
    units = access.visible_units(request.user, DASHBOARD_ROLES)
    tops = [u for u in access.top_units(request.user) if units.filter(pk=u.pk).exists()]
    return render(request, "dashboard/home.html", {"units": tops})


@require_GET
@never_cache
@login_required
def unit_board(request: HttpRequest, code: str) -> HttpResponse:
    unit = access.unit_for_user(request.user, code, DASHBOARD_ROLES)
    day, error = _day(request, unit)
    board = queries.board(unit, day)
    headline = [
        {
            "figure": f,
            "text": show(c.today, f.percent),
            "delta": show_delta(c.delta, f.percent),
            "tone": c.tone,
            "url": f.url(unit.code, day),
        }
        for f, c in zip(board.figures, board.changes, strict=True)
    ]
    children = [
        {"unit": row.unit, "cells": _cells(board, row.values, row.unit.code)} for row in board.children
    ]
    blocks = [{"block": b, "late": show_late(b.late)} for b in board.blocks]
    overdue = [{"item": o, "late": show_late(o.late)} for o in board.overdue]
    return render(
        request,
        "dashboard/unit.html",
        {
            "unit": unit,
            "day": day,
            "error": error,
            "board": board,
            "headline": headline,
            "children": children,
            "blocks": blocks,
            "overdue": overdue,
            "ancestors": access.visible_ancestors(request.user, unit, DASHBOARD_ROLES),
            "spans": TREND_SPANS,
            "trends_url": reverse("dashboard_trends", kwargs={"code": unit.code}),
        },
    )


@require_GET
@never_cache
@login_required
def trends(request: HttpRequest, code: str) -> JsonResponse:
    """The daily series for the charts (fetched by the page's script), 30 or 90 days to the day asked."""
    unit = access.unit_for_user(request.user, code, DASHBOARD_ROLES)
    day, _error = _day(request, unit)
    try:
        span = int(request.GET.get("span", TREND_SPANS[0]))
    except ValueError:
        span = TREND_SPANS[0]
    if span not in TREND_SPANS:
        span = TREND_SPANS[0]
    return JsonResponse(queries.trends(unit, day, span))


@require_GET
@never_cache
@login_required
def tiles(request: HttpRequest, code: str) -> HttpResponse:
    unit = access.unit_for_user(request.user, code, DASHBOARD_ROLES)
    day, error = _day(request, unit)
    provinces = queries.tiles(unit, day)
    return render(
        request,
        "dashboard/tiles.html",
        {
            "unit": unit,
            "day": day,
            "error": error,
            "provinces": provinces,
            "enterprises": sum(len(p.tiles) for p in provinces),
            "has_levels": any(t.level for p in provinces for t in p.tiles),
            "ancestors": access.visible_ancestors(request.user, unit, DASHBOARD_ROLES),
        },
    )


def bulletin_response(unit: Unit, day: date, fmt: str) -> HttpResponse:
    """The bulletin file (PDF or XLSX) of `unit` on `day`; shared by the page button and the API."""
    board = queries.board(unit, day)
    if fmt == "pdf":
        body, content_type = bulletin.pdf(board), bulletin.PDF
    elif fmt == "xlsx":
        body, content_type = bulletin.xlsx(board), bulletin.XLSX
    else:
        raise Http404("No such format")
    response = HttpResponse(body, content_type=content_type)
    name = bulletin.filename(board, fmt)
    response["Content-Disposition"] = content_disposition_header(fmt == "xlsx", name) or "attachment"
    return response


@require_GET
@never_cache
@login_required
def bulletin_pdf(request: HttpRequest, code: str) -> HttpResponse:
    unit = access.unit_for_user(request.user, code, DASHBOARD_ROLES)
    return bulletin_response(unit, _day(request, unit)[0], "pdf")


@require_GET
@never_cache
@login_required
def bulletin_xlsx(request: HttpRequest, code: str) -> HttpResponse:
    unit = access.unit_for_user(request.user, code, DASHBOARD_ROLES)
    return bulletin_response(unit, _day(request, unit)[0], "xlsx")


urlpatterns: list[URLPattern] = [
    path("", home, name="dashboard_home"),
    path("units/<str:code>/", unit_board, name="dashboard_unit"),
    path("units/<str:code>/trends.json", trends, name="dashboard_trends"),
    path("units/<str:code>/map/", tiles, name="dashboard_tiles"),
    path("units/<str:code>/bulletin.pdf", bulletin_pdf, name="dashboard_bulletin_pdf"),
    path("units/<str:code>/bulletin.xlsx", bulletin_xlsx, name="dashboard_bulletin_xlsx"),
]

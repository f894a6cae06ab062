"""Check-in lists (清单): who is missing a check-in, and the red and yellow cards, each with its XLSX export.

Minimum disclosure: a name with a card colour is health data. Named card lists are for the
enterprise's prevention officer (enterprise_admin) and grid leaders reaching the unit; segment and
group admins see counts per child unit. Temperature, symptoms and card reasons are for the
enterprise_admin only. Every view of named health data is written to the audit log.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from fangkong.audit.actions import record
from fangkong.checkins import overrides, rollup
from fangkong.checkins.models import SYMPTOMS, Card, CheckIn, Where
from fangkong.lib.dates import business_day, parse_day, zone
from fangkong.lib.xlsx import stream_xlsx
from fangkong.org import access
from fangkong.org.models import Person, Role, Unit
from fangkong.privacy.actions import log_access

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Who may open the card list at all; what they see depends on the roles below.
CARD_ROLES = access.ADMIN_ROLES | {Role.GRID_LEADER}
NAMED_CARD_ROLES = access.NAMED_HEALTH_ROLES
DETAIL_ROLES = access.HEALTH_DETAIL_ROLES
COLOURS = {"red": [Card.RED], "yellow": [Card.YELLOW], "": [Card.RED, Card.YELLOW]}
CARD_ZH = {Card.RED: "红", Card.YELLOW: "黄", Card.GREEN: "绿"}
WHERE_ZH = {Where.ON_SITE: "在岗", Where.REMOTE: "居家办公", Where.LEAVE: "请假", Where.ISOLATED: "隔离"}


@dataclass
class Filters:
    day: date
    sub: str  # the sub-unit code asked for ("" for the whole unit)
    target: Unit | None  # the unit listed (None: the sub-unit asked for is not reachable)
    error: str = ""
    colour: str = ""


def _filters(request: HttpRequest, unit: Unit, roles: frozenset[str]) -> Filters:
    error = ""
    raw = request.GET.get("date", "").strip()
    day = business_day(unit.timezone)
    if raw:
        try:
            day = parse_day(raw)
        except ValueError:
            error = _("Date: %(value)s is not a date (YYYY-MM-DD); showing today.") % {"value": raw[:20]}
    sub = request.GET.get("unit", "").strip()
    target: Unit | None = unit
    if sub and sub != unit.code:
        target = (
            access.visible_units(request.user, roles).filter(code=sub, path__startswith=unit.path).first()
        )
    colour = request.GET.get("colour", "").strip()
    if colour not in COLOURS:
        colour = ""
    return Filters(day, sub, target, error, colour)


def _query(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _zh() -> bool:
    return (get_language() or "").lower().startswith("zh")


def _download(rows: Iterator[bytes], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(rows, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    return response


# --- the missing list ------------------------------------------------------------------------------


def _missing(unit: Unit, f: Filters) -> QuerySet[Person]:
    """The same people, in the same order, as GET /api/v1/units/{code}/missing."""
    if f.target is None:
        return Person.objects.none()
    return rollup.missing_list(f.target, f.day)


@require_GET
@never_cache
@login_required
def missing(request: HttpRequest, code: str) -> HttpResponse:
    unit = access.unit_for_user(request.user, code, access.ROSTER_ROLES)
    f = _filters(request, unit, access.ROSTER_ROLES)
    people: rollup.MissingList | list[Person] = []
    if f.target is not None:
        people = rollup.MissingList(f.target, f.day)
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "checkins/missing.html",
        {
            "unit": unit,
            "filters": f,
            "page": page,
            "query": _query(request),
            "subunits": unit.children.order_by("code"),
            "ancestors": access.visible_ancestors(request.user, unit),
        },
    )


@require_GET
@never_cache
@login_required
def missing_export(request: HttpRequest, code: str) -> StreamingHttpResponse:
    unit = access.unit_for_user(request.user, code, access.ROSTER_ROLES)
    f = _filters(request, unit, access.ROSTER_ROLES)
    zh = _zh()  # decided now: the body is produced after the view has returned
    header = (
        ["工号", "姓名", "单位编码", "单位名称", "日期"]
        if zh
        else ["employee_no", "name", "unit", "unit_name", "date"]
    )
    rows = (
        (no, name, unit_code, unit_name, f.day)
        for no, name, unit_code, unit_name in _missing(unit, f)
        .values_list("employee_no", "name", "unit__code", "unit__name")
        .iterator(chunk_size=2000)
    )
    log_access(request.user, "export", unit=f.target or unit, what=f"missing check-ins {f.day}")
    body = stream_xlsx("未打卡" if zh else "missing", header, rows)
    return _download(body, f"missing-{unit.code}-{f.day.isoformat()}.xlsx")


# --- red and yellow cards --------------------------------------------------------------------------


def _cards(f: Filters) -> QuerySet[CheckIn]:
    if f.target is None:
        return CheckIn.objects.none()
    return (
        overrides.with_override(rollup.cards(f.target, f.day, list(COLOURS[f.colour])))
        .select_related("person", "unit")
        .order_by("unit__path", "person__employee_no")
    )


def _counts(unit: Unit, f: Filters) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Counts only (no names): the target's totals and each child's, as the roll-up gives them."""
    if f.target is None:
        return {"red": 0, "yellow": 0, "checked_in": 0}, []
    figures = rollup.rollup(f.target, f.day)
    names = dict(Unit.objects.filter(parent=f.target).values_list("code", "name"))
    children = [{**child, "name": names.get(child["code"], "")} for child in figures["children"]]
    return figures, children


def _log_health_access(request: HttpRequest, unit: Unit, f: Filters, *, detail: bool, export: bool) -> None:
    """Access to named health data is an audited act (PRODUCT.md, Privacy)."""
    with transaction.atomic():
        log_access(request.user, "export" if export else "view_health", unit=f.target or unit, what="cards")
        record(
            request.user,
            "checkins.cards.export" if export else "checkins.cards.view",
            "unit",
            (f.target or unit).code,
            unit_code=unit.enterprise.code if unit.enterprise else unit.code,
            detail={"day": f.day, "colour": f.colour or "red+yellow", "health_detail": detail},
        )


@require_GET
@never_cache
@login_required
def cards(request: HttpRequest, code: str) -> HttpResponse:
    unit = access.unit_for_user(request.user, code, CARD_ROLES)
    f = _filters(request, unit, CARD_ROLES)
    named = access.has_role(request.user, NAMED_CARD_ROLES, unit)
    detail = access.has_role(request.user, DETAIL_ROLES, unit)
    context: dict[str, Any] = {
        "unit": unit,
        "filters": f,
        "named": named,
        "detail": detail,
        "query": _query(request),
        "subunits": unit.children.order_by("code"),
        "ancestors": access.visible_ancestors(request.user, unit),
        "colours": [("", _("red and yellow")), ("red", Card.RED.label), ("yellow", Card.YELLOW.label)],
    }
    if named:
        page = Paginator(_cards(f), PAGE_SIZE).get_page(request.GET.get("page"))
        for c in page:
            c.symptom_labels = [str(SYMPTOMS.get(s, s)) for s in c.symptoms]  # type: ignore[attr-defined]
        context["page"] = page
        context["tz"] = unit.timezone
        _log_health_access(request, unit, f, detail=detail, export=False)
    else:
        context["totals"], context["children"] = _counts(unit, f)
    return render(request, "checkins/cards.html", context)


@require_GET
@never_cache
@login_required
def cards_export(request: HttpRequest, code: str) -> StreamingHttpResponse:
    unit = access.unit_for_user(request.user, code, CARD_ROLES)
    f = _filters(request, unit, CARD_ROLES)
    zh = _zh()
    stamp = f.day.isoformat()
    if not access.has_role(request.user, NAMED_CARD_ROLES, unit):
        totals, children = _counts(unit, f)
        header = (
            ["单位编码", "单位名称", "已打卡", "红码", "黄码"]
            if zh
            else ["unit", "unit_name", "checked_in", "red", "yellow"]
        )
        rows = [(c["code"], c["name"], c["checked_in"], c["red"], c["yellow"]) for c in children]
        rows.append(("合计" if zh else "total", "", totals["checked_in"], totals["red"], totals["yellow"]))
        body = stream_xlsx("健康码统计" if zh else "card counts", header, rows)
        return _download(body, f"cards-{unit.code}-{stamp}-counts.xlsx")
    detail = access.has_role(request.user, DETAIL_ROLES, unit)
    _log_health_access(request, unit, f, detail=detail, export=True)
    header = (
        ["工号", "姓名", "单位编码", "单位名称", "健康码", "所在", "打卡时间", "补报"]
        if zh
        else ["employee_no", "name", "unit", "unit_name", "card", "where", "captured_at", "late"]
    )
    if detail:
        header += ["体温", "症状", "原因"] if zh else ["temperature", "symptoms", "reasons"]
    labels = {code: str(label) for code, label in SYMPTOMS.items()}  # in the request's language
    body = stream_xlsx("红黄码" if zh else "cards", header, _card_rows(_cards(f), unit, detail, zh, labels))
    return _download(body, f"cards-{unit.code}-{stamp}.xlsx")


def _card_rows(
    checkins: QuerySet[CheckIn], unit: Unit, detail: bool, zh: bool, labels: dict[str, str]
) -> Iterator[list[Any]]:
    tz = zone(unit.timezone)
    fields = [
        "person__employee_no",
        "person__name",
        "unit__code",
        "unit__name",
        "card",
        "where",
        "captured_at",
    ]
    fields += ["late", "temperature", "symptoms", "card_reasons"]
    for no, name, ucode, uname, card, where, captured, late, temp, symptoms, reasons in checkins.values_list(
        *fields
    ).iterator(chunk_size=2000):
        row: list[Any] = [
            no,
            name,
            ucode,
            uname,
            CARD_ZH.get(card, card) if zh else card,
            WHERE_ZH.get(where, where) if zh else where,
            captured.astimezone(tz).replace(tzinfo=None),
            ("是" if late else "否") if zh else late,
        ]
        if detail:
            named = [labels.get(s, s) for s in symptoms]
            row += [float(temp), ("、" if zh else ", ").join(named), ", ".join(reasons)]
        yield row


urlpatterns: list[URLPattern] = [
    path("units/<str:code>/missing/", missing, name="checkins_missing"),
    path("units/<str:code>/missing.xlsx", missing_export, name="checkins_missing_export"),
    path("units/<str:code>/cards/", cards, name="checkins_cards"),
    path("units/<str:code>/cards.xlsx", cards_export, name="checkins_cards_export"),
]

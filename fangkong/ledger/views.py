"""Ledger pages: the lists (清单), their XLSX export, an item with its history, one URL per action.

Every page starts from `queries.visible_items`; an item out of scope is Http404 like an absent one.
Minimum disclosure: whoever sees an item sees its state, owner, due time, title and unit; its
`detail` (symptoms, temperature) and follow-up data only show to `queries.can_see_detail`, and
looking at a health item's detail is an audited access (PIPL).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import content_disposition_header
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from fangkong.audit.actions import record
from fangkong.checkins.models import SYMPTOMS
from fangkong.lib.dates import zone
from fangkong.lib.xlsx import stream_xlsx
from fangkong.org import access
from fangkong.org.actions import ActionError
from fangkong.privacy.actions import log_access

from . import actions, queries
from .actions import log_detail_view
from .models import CloseReason, Event, Item, Kind, State
from .queries import Filters, can_act, event_data, filtered_items, is_overdue, item_for_user, owner_candidates

PAGE_SIZE = 50
TEST_RESULTS = actions.TEST_RESULTS
EVENT_KEYS = {
    "owner": gettext_lazy("owner"),
    "due_at": gettext_lazy("due"),
    "to": gettext_lazy("handed to"),
    "level": gettext_lazy("level"),
    "reason": gettext_lazy("reason"),
    "note": gettext_lazy("note"),
    "temperature": gettext_lazy("temperature"),
    "medical_visit": gettext_lazy("medical visit"),
    "test_result": gettext_lazy("test result"),
    "evidence": gettext_lazy("evidence"),
}


class HttpResponseSeeOther(HttpResponseRedirect):
    """After a successful POST: GET the item page (303, so a reload never re-posts)."""

    status_code = 303


def _shown(event: Event, data: dict[str, Any], tz_name: str) -> list[tuple[str, Any]]:
    """Event data as (label, value) for the history table."""
    rows = []
    for key, value in data.items():
        if key == "reason" and event.type == Event.Type.CLOSED and value in CloseReason.values:
            value = CloseReason(value).label
        elif key == "due_at":
            try:
                value = datetime.fromisoformat(value).astimezone(zone(tz_name)).strftime("%Y-%m-%d %H:%M")
            except (TypeError, ValueError):
                pass
        rows.append((str(EVENT_KEYS.get(key, key)), value))
    return rows


def _item_zone(item: Item) -> str:
    return (item.enterprise or item.unit).timezone


# --- lists --------------------------------------------------------------------------------------


def _list(request: HttpRequest, f: Filters, *, mine: bool) -> HttpResponse:
    items = filtered_items(request.user, f)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    for item in page:
        item.overdue = is_overdue(item, now)  # type: ignore[attr-defined]
    htmx = getattr(request, "htmx", None)
    partial = bool(htmx) and not getattr(htmx, "history_restore_request", False)
    context = {
        "page": page,
        "filters": f,
        "mine": mine,
        "query": f.query(owner="" if mine else f.owner),
        "export_query": f.query(),
        "list_url": reverse("ledger_mine" if mine else "ledger_items"),
    }
    if not partial:
        context.update(
            kinds=Kind.choices,
            states=[("active", _("open or in progress")), *State.choices, ("all", _("all"))],
            top_units=access.top_units(request.user),
        )
    response = render(request, "ledger/_rows.html" if partial else "ledger/items.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_GET
@never_cache
@login_required
def items(request: HttpRequest) -> HttpResponse:
    return _list(request, Filters.from_query(request.GET), mine=False)


@require_GET
@never_cache
@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """A tracker's work list: the same list, owner = me."""
    f = Filters.from_query(request.GET)
    return _list(request, Filters(**{**asdict(f), "owner": "me"}), mine=True)


# (field, English header, Chinese header); detail columns come last and only for those who may see them
EXPORT_COLUMNS = (
    ("uid", "id", "编号"),
    ("kind", "kind", "类别"),
    ("title", "title", "事项"),
    ("unit__code", "unit", "单位编码"),
    ("unit__name", "unit_name", "单位名称"),
    ("person__employee_no", "employee_no", "工号"),
    ("state", "state", "状态"),
    ("owner__username", "owner", "责任人"),
    ("due_at", "due (local time)", "期限(当地时间)"),
    ("opened_at", "opened (local time)", "发起时间(当地时间)"),
    ("closed_at", "closed (local time)", "销号时间(当地时间)"),
)
DETAIL_COLUMNS = (
    ("temperature", "temperature", "体温"),
    ("symptoms", "symptoms", "症状"),
    ("close_reason", "close reason", "销号原因"),
    ("close_note", "close note", "销号说明"),
)


def _detail_q(user) -> Q:
    """Rows whose detail `user` may see; the same rule as queries.can_see_detail, as a filter."""
    if user.is_superuser:
        return Q(pk__isnull=False)
    units = access.visible_units(user, queries.DETAIL_ROLES)
    return Q(owner=user) | Q(unit__in=units.values("pk"))


def export_rows(user, items: QuerySet[Item], *, with_detail: bool) -> Iterator[tuple]:
    """The list's rows for XLSX, streamed; no ID number or mobile is ever among the columns."""
    fields = [c[0] for c in EXPORT_COLUMNS] + ["enterprise__timezone", "unit__timezone"]
    if with_detail:
        items = items.annotate(
            show_detail=Case(
                When(_detail_q(user), then=Value(True)), default=Value(False), output_field=BooleanField()
            )
        )
        fields += ["detail", "close_reason", "close_note", "show_detail"]
    zones: dict[str, ZoneInfo] = {}

    def local(value: datetime | None, tz_name: str) -> datetime | None:
        if value is None:
            return None
        tz = zones.setdefault(tz_name, zone(tz_name))
        return value.astimezone(tz)

    for row in items.values_list(*fields).iterator(chunk_size=2000):
        base = list(row[: len(EXPORT_COLUMNS)])
        tz_name = row[len(EXPORT_COLUMNS)] or row[len(EXPORT_COLUMNS) + 1]
        base[0] = str(base[0])
        for i in (8, 9, 10):
            base[i] = local(base[i], tz_name)
        if with_detail:
            detail, reason, note, show = row[len(EXPORT_COLUMNS) + 2 :]
            if show:
                detail = detail or {}
                base += [detail.get("temperature", ""), ", ".join(detail.get("symptoms", [])), reason, note]
            else:
                base += ["", "", "", ""]
        yield tuple(base)


@require_GET
@never_cache
@login_required
def items_export(request: HttpRequest) -> StreamingHttpResponse:
    f = Filters.from_query(request.GET)
    user = request.user
    items = filtered_items(user, f)
    with_detail = bool(
        user.is_superuser
        or access.grants(user, queries.DETAIL_ROLES).exists()
        or items.filter(owner_id=user.pk).exists()
    )
    if with_detail:
        with transaction.atomic():
            log_access(user, "export", unit=f.unit or None, what="ledger items with health detail")
            record(
                user,
                "ledger.export_detail",
                "ledger_list",
                f.query() or "all",
                unit_code=f.unit,
                detail={"filters": asdict(f)},
            )
    zh = (get_language() or "").lower().startswith("zh")
    columns = EXPORT_COLUMNS + (DETAIL_COLUMNS if with_detail else ())
    header = [c[2] if zh else c[1] for c in columns]
    response = StreamingHttpResponse(
        stream_xlsx("台账" if zh else "ledger", header, export_rows(user, items, with_detail=with_detail)),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    filename = f"ledger-{f.unit or 'all'}-{timezone.localdate().isoformat()}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    return response


# --- one item -----------------------------------------------------------------------------------


def _render_item(
    request: HttpRequest,
    item: Item,
    *,
    status: int = 200,
    form: str = "",
    error: tuple[str, str] | None = None,
    stale: bool = False,
) -> HttpResponse:
    user = request.user
    detail = queries.can_see_detail(user, item)
    if detail:
        log_detail_view(user, item)
    acting = can_act(user, item)
    tz_name = _item_zone(item)
    symptoms = [str(SYMPTOMS.get(s, s)) for s in item.detail.get("symptoms", [])] if detail else []
    context = {
        "item": item,
        "overdue": is_overdue(item),
        "tz": tz_name,
        "detail": detail,
        "symptoms": symptoms,
        "events": [(e, _shown(e, event_data(e, detail), tz_name)) for e in item.events.order_by("at", "pk")],
        "can_act": acting,
        "candidates": owner_candidates(item) if acting and item.is_open else [],
        "reasons": CloseReason.choices,
        "test_results": TEST_RESULTS,
        "form": form,
        "posted": request.POST if request.method == "POST" else {},
        "error": error,
        "stale": stale,
    }
    return render(request, "ledger/item.html", context, status=status)


@require_GET
@never_cache
@login_required
def item_page(request: HttpRequest, uid: uuid.UUID) -> HttpResponse:
    return _render_item(request, item_for_user(request.user, uid))


def _act(
    request: HttpRequest, uid: uuid.UUID, form: str, do: Callable[[Item, int], Any], done: str
) -> HttpResponse:
    """The frame of every action: scope, permission, version, then the action; errors re-render."""
    item = item_for_user(request.user, uid)
    if not can_act(request.user, item):
        raise PermissionDenied
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        return _render_item(
            request,
            item,
            status=400,
            form=form,
            error=("version", _("the form is incomplete: reload the page and try again")),
        )
    if version != item.version:  # someone else acted since the form was shown
        return _render_item(request, item, status=409, form=form, stale=True)
    try:
        do(item, version)
    except actions.StaleItem:
        item.refresh_from_db()
        return _render_item(request, item, status=409, form=form, stale=True)
    except ActionError as exc:
        status = 409 if exc.field == "state" else 400
        return _render_item(request, item, status=status, form=form, error=(exc.field or "", str(exc)))
    messages.success(request, done)
    return HttpResponseSeeOther(reverse("ledger_item", args=[item.uid]))


def _parse_due(value: str, tz_name: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        due = datetime.fromisoformat(value)
    except ValueError:
        raise ActionError(_("not a date and time"), "due_at") from None
    if timezone.is_naive(due):
        due = due.replace(tzinfo=zone(tz_name))
    if due <= timezone.now():
        raise ActionError(_("must be in the future"), "due_at")
    return due


@require_POST
@never_cache
@login_required
def assign(request: HttpRequest, uid: uuid.UUID) -> HttpResponse:
    def do(item: Item, version: int) -> Item:
        owner = owner_candidates(item).filter(username=request.POST.get("owner", "")).first()
        if owner is None:
            raise ActionError(_("choose someone who holds a role on this unit"), "owner")
        due = _parse_due(request.POST.get("due_at", ""), _item_zone(item))
        return actions.assign_item(request.user, item, owner, version=version, due_at=due)

    return _act(request, uid, "assign", do, _("Owner changed."))


@require_POST
@never_cache
@login_required
def follow_up(request: HttpRequest, uid: uuid.UUID) -> HttpResponse:
    p = request.POST

    def do(item: Item, version: int) -> Item:
        return actions.follow_up(
            request.user,
            item,
            version=version,
            note=p.get("note", "").strip(),
            temperature=p.get("temperature", "").strip() or None,
            medical_visit=p.get("medical_visit", "").strip(),
            test_result=p.get("test_result", ""),
        )

    return _act(request, uid, "follow_up", do, _("Follow-up recorded."))


@require_POST
@never_cache
@login_required
def close(request: HttpRequest, uid: uuid.UUID) -> HttpResponse:
    p = request.POST

    def do(item: Item, version: int) -> Item:
        return actions.close_item(
            request.user,
            item,
            reason=p.get("reason", ""),
            note=p.get("note", "").strip(),
            evidence=p.get("evidence", "").strip(),
            version=version,
        )

    return _act(request, uid, "close", do, _("Item closed."))


@require_POST
@never_cache
@login_required
def reopen(request: HttpRequest, uid: uuid.UUID) -> HttpResponse:
    def do(item: Item, version: int) -> Item:
        return actions.reopen_item(request.user, item, note=request.POST.get("note", ""), version=version)

    return _act(request, uid, "reopen", do, _("Item reopened."))


urlpatterns = [
    path("", items, name="ledger_items"),
    path("mine/", mine, name="ledger_mine"),
    path("items.xlsx", items_export, name="ledger_export"),
    path("items/<uuid:uid>/", item_page, name="ledger_item"),
    path("items/<uuid:uid>/assign/", assign, name="ledger_assign"),
    path("items/<uuid:uid>/follow-up/", follow_up, name="ledger_follow_up"),
    path("items/<uuid:uid>/close/", close, name="ledger_close"),
    path("items/<uuid:uid>/reopen/", reopen, name="ledger_reopen"),
]

"""Incident pages: the summary, the list with filters and its XLSX, report (phone-friendly), detail."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fangkong.ledger.models import Item, Kind
from fangkong.org import access
from fangkong.org.actions import ActionError

from .. import actions, queries
from ..models import SERIOUS_KINDS, Incident, IncidentKind
from ..queries import IncidentFilters
from .common import PAGE_SIZE, HttpResponseSeeOther, local, unit_asked, xlsx_response

KIND_GROUP_LABELS = (
    ("serious", gettext_lazy("serious (fatality, serious injury, environmental emergency)")),
    ("injury", gettext_lazy("work injuries")),
    ("environment", gettext_lazy("environmental emergencies")),
)


def _month(value: str, today: date) -> tuple[int, int]:
    try:
        year, month = (int(p) for p in value.split("-", 1))
        date(year, month, 1)
    except ValueError:
        return today.year, today.month
    return year, month


@require_GET
@never_cache
@login_required
def summary(request: HttpRequest) -> HttpResponse:
    """Days without a serious incident, the last 30 days, and one month by kind and by child unit."""
    unit = unit_asked(request, queries.INCIDENT_READ_ROLES)
    if unit is None:
        tops = [
            u
            for u in access.top_units(request.user)
            if access.has_role(request.user, queries.INCIDENT_READ_ROLES, u)
        ]
        if not tops:
            raise Http404("No such unit")
        unit = tops[0]
    today = queries.local_today(unit)
    year, month = _month(request.GET.get("month", ""), today)
    first = date(year, month, 1)
    by_kind = queries.monthly(unit, year, month)
    last = date(year + month // 12, month % 12 + 1, 1).toordinal() - 1
    context = {
        "unit": unit,
        "today": today,
        "summary": queries.incident_summary(unit, today),
        "month": f"{year:04d}-{month:02d}",
        "by_kind": [(IncidentKind(k).label, n, k in SERIOUS_KINDS) for k, n in by_kind.items()],
        "month_total": sum(by_kind.values()),
        "clean": queries.serious_free_month(unit, year, month),
        "children": queries.by_child(unit, first, date.fromordinal(last)),
        "can_report": queries.can_report(request.user, unit) and unit.kind in actions.INCIDENT_UNIT_KINDS,
    }
    return render(request, "safety/summary.html", context)


@require_GET
@never_cache
@login_required
def incidents(request: HttpRequest) -> HttpResponse:
    f = IncidentFilters.from_query(request.GET)
    page = Paginator(queries.filtered_incidents(request.user, f), PAGE_SIZE).get_page(request.GET.get("page"))
    for incident in page:
        incident.local_occurred = local(incident.occurred_at, incident.enterprise.timezone)  # type: ignore[attr-defined]
    context = {
        "page": page,
        "filters": f,
        "query": f.query(),
        "kinds": [*KIND_GROUP_LABELS, *IncidentKind.choices],
        "top_units": access.top_units(request.user),
    }
    return render(request, "safety/incidents.html", context)


INCIDENT_COLUMNS = (
    ("id", "编号"),
    ("kind", "类别"),
    ("serious", "重大"),
    ("unit", "单位编码"),
    ("unit_name", "单位名称"),
    ("occurred (local time)", "发生时间(当地时间)"),
    ("reported (local time)", "报告时间(当地时间)"),
    ("late", "迟报"),
    ("limit (minutes)", "时限(分钟)"),
    ("place", "地点"),
    ("people affected", "涉及人数"),
    ("description", "经过"),
    ("immediate actions", "已采取措施"),
)


def _incident_rows(qs) -> Iterator[tuple]:
    for i in qs.iterator(chunk_size=2000):
        tz = i.enterprise.timezone
        yield (
            str(i.uid),
            i.get_kind_display(),
            i.serious,
            i.unit.code,
            i.unit.name,
            local(i.occurred_at, tz),
            local(i.reported_at, tz),
            i.late,
            i.limit_minutes,
            i.place,
            i.people_affected,
            i.description,
            i.immediate_actions,
        )


@require_GET
@never_cache
@login_required
def incidents_export(request: HttpRequest) -> StreamingHttpResponse:
    f = IncidentFilters.from_query(request.GET)
    qs = queries.filtered_incidents(request.user, f)
    return xlsx_response(
        f"incidents-{f.unit or 'all'}", ("incidents", "安全环保事件"), INCIDENT_COLUMNS, _incident_rows(qs)
    )


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def report(request: HttpRequest) -> HttpResponse:
    """Report an incident: one column, big fields, works on a phone."""
    data = request.POST if request.method == "POST" else request.GET
    unit = unit_asked(request, queries.INCIDENT_READ_ROLES, data=data)
    error: tuple[str, str] | None = None
    status = 200
    if unit is not None and not queries.can_report(request.user, unit):
        raise PermissionDenied
    if request.method == "POST":
        try:
            if unit is None:
                raise ActionError(_("required"), "unit")
            incident = actions.report_incident(
                request.user,
                unit=unit,
                kind=data.get("kind", ""),
                occurred_at=data.get("occurred_at", ""),
                place=data.get("place", ""),
                description=data.get("description", ""),
                people_affected=data.get("people_affected", ""),
                immediate_actions=data.get("immediate_actions", ""),
            )
        except ActionError as exc:
            error, status = (exc.field, str(exc)), 400
        else:
            if incident.late:
                messages.warning(
                    request,
                    _("Incident reported — later than the %(n)d minutes allowed.")
                    % {"n": incident.limit_minutes},
                )
            else:
                messages.success(request, _("Incident reported."))
            return HttpResponseSeeOther(reverse("safety_incident", args=[incident.uid]))
    reachable = access.visible_units(request.user, queries.REPORT_ROLES).filter(
        kind__in=actions.INCIDENT_UNIT_KINDS, active=True
    )
    context = {
        "unit": unit,
        "units": reachable.order_by("path")[:200],
        "kinds": IncidentKind.choices,
        "posted": data if request.method == "POST" else {},
        "error": error,
        "limits": actions.report_limits(unit) if unit else actions.report_limits_default(),
    }
    return render(request, "safety/report.html", context, status=status)


def _incident_context(request: HttpRequest, incident: Incident) -> dict:
    tz = incident.enterprise.timezone
    items = (
        Item.objects.filter(kind=Kind.INCIDENT, key__startswith=incident.ledger_prefix)
        .select_related("owner")
        .order_by("opened_at", "pk")
    )
    can_follow = queries.can_follow_up(request.user, incident)
    return {
        "incident": incident,
        "tz": tz,
        "occurred": local(incident.occurred_at, tz),
        "reported": local(incident.reported_at, tz),
        "items": items,
        "can_follow_up": can_follow,
        "candidates": queries.owner_candidates(incident.unit) if can_follow else [],
    }


@require_GET
@never_cache
@login_required
def incident_page(request: HttpRequest, incident_uid: uuid.UUID) -> HttpResponse:
    incident = queries.incident_for_user(request.user, incident_uid)
    return render(request, "safety/incident.html", _incident_context(request, incident))


@require_POST
@never_cache
@login_required
def follow_up(request: HttpRequest, incident_uid: uuid.UUID) -> HttpResponse:
    """Open an investigation or corrective-action item with an owner and a due time."""
    incident = queries.incident_for_user(request.user, incident_uid)
    if not queries.can_follow_up(request.user, incident):
        raise PermissionDenied
    p = request.POST
    try:
        owner = None
        if p.get("owner"):
            owner = queries.owner_candidates(incident.unit).filter(username=p["owner"]).first()
            if owner is None:
                raise ActionError(_("choose someone who holds a role on this unit"), "owner")
        actions.add_follow_up(
            request.user,
            incident,
            what=p.get("what", ""),
            title=p.get("title", ""),
            owner=owner,
            due_at=p.get("due_at", ""),
        )
    except ActionError as exc:
        context = _incident_context(request, incident)
        context.update(error=(exc.field, str(exc)), posted=p)
        return render(request, "safety/incident.html", context, status=400)
    messages.success(request, _("Follow-up item opened."))
    return HttpResponseSeeOther(reverse("safety_incident", args=[incident.uid]))


def _group_for_admin(request: HttpRequest):
    """The group whose limits the caller sets: group admins (and superusers) only; others 404."""
    from fangkong.org.models import Role, Unit

    user = request.user
    grant = access.grants(user, [Role.GROUP_ADMIN]).filter(unit__parent__isnull=True).first()
    if grant is not None:
        return grant.unit
    if getattr(user, "is_superuser", False) and user.is_active:
        group = Unit.objects.filter(parent__isnull=True).order_by("pk").first()
        if group is not None:
            return group
    raise Http404("No such page")


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def limits(request: HttpRequest) -> HttpResponse:
    """The group's report-time limits (minutes after the occurrence) for serious and other incidents."""
    group = _group_for_admin(request)
    error, status = None, 200
    if request.method == "POST":
        p = request.POST
        try:
            values = {}
            for field in ("serious_minutes", "other_minutes"):
                try:
                    values[field] = int(p.get(field, ""))
                except ValueError:
                    raise ActionError(_("not a whole number"), field) from None
            actions.set_report_limits(request.user, group, **values)
        except ActionError as exc:
            error, status = (exc.field, str(exc)), 400
        else:
            messages.success(request, _("Report limits saved."))
            return HttpResponseSeeOther(reverse("safety_limits"))
    serious, other = actions.report_limits(group)
    context = {"group": group, "serious": serious, "other": other, "error": error, "posted": request.POST}
    return render(request, "safety/limits.html", context, status=status)

"""Supervision (督查) pages: plans, visits with their checklist, findings with files, re-inspection."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fangkong.ledger.models import OPEN_STATES, State
from fangkong.lib.dates import parse_day
from fangkong.org import access
from fangkong.org.actions import ActionError
from fangkong.org.models import Unit

from .. import actions, checklist, queries
from ..models import Attachment, CheckResult, Finding, Visit
from .common import PAGE_SIZE, HttpResponseSeeOther, local, unit_asked, xlsx_response

FINDING_STATES = {"open": tuple(OPEN_STATES), "closed": (State.CLOSED,), "all": tuple(State.values)}


def _page(request: HttpRequest, qs: QuerySet):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _unit_code(request: HttpRequest) -> str:
    return request.GET.get("unit", "").strip()[:32]


# --- plans -----------------------------------------------------------------------------------------


def _plans(request: HttpRequest) -> QuerySet:
    qs = queries.in_unit(queries.visible_plans(request.user), request.user, _unit_code(request))
    return (
        qs.select_related("unit")
        .annotate(n_units=Count("units", distinct=True), n_visits=Count("visits", distinct=True))
        .order_by("-starts_on", "-pk")
    )


@require_GET
@never_cache
@login_required
def plans(request: HttpRequest) -> HttpResponse:
    context = {
        "page": _page(request, _plans(request)),
        "unit_code": _unit_code(request),
        "top_units": access.top_units(request.user),
    }
    return render(request, "safety/plans.html", context)


PLAN_COLUMNS = (
    ("id", "编号"),
    ("title", "名称"),
    ("unit", "组织单位"),
    ("starts", "开始"),
    ("ends", "结束"),
    ("units to inspect", "被督查单位数"),
    ("visits", "检查次数"),
    ("inspectors", "督查员"),
)


@require_GET
@never_cache
@login_required
def plans_export(request: HttpRequest) -> StreamingHttpResponse:
    qs = _plans(request).prefetch_related("inspectors")

    def rows() -> Iterator[tuple]:
        for p in qs:
            inspectors = ", ".join(u.username for u in p.inspectors.all())
            yield (
                str(p.uid),
                p.title,
                p.unit.code,
                p.starts_on,
                p.ends_on,
                p.n_units,
                p.n_visits,
                inspectors,
            )

    return xlsx_response(
        f"inspection-plans-{_unit_code(request) or 'all'}", ("plans", "督查计划"), PLAN_COLUMNS, rows()
    )


def _day(value: str, field: str) -> date | None:
    if not value.strip():
        return None
    try:
        return parse_day(value)
    except ValueError:
        raise ActionError(_("not a date (YYYY-MM-DD)"), field) from None


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def plan_new(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else request.GET
    unit = unit_asked(request, queries.INSPECTION_READ_ROLES, data=data)
    if unit is not None and not access.has_role(request.user, queries.PLAN_ROLES, unit):
        raise PermissionDenied
    error, status = None, 200
    if request.method == "POST":
        try:
            if unit is None:
                raise ActionError(_("required"), "unit")
            codes = [c.strip() for c in data.getlist("units") if c.strip()]
            targets = list(unit.subtree().filter(code__in=codes, active=True))
            missing = sorted(set(codes) - {u.code for u in targets})
            if missing:
                raise ActionError(
                    _("not a unit under %(unit)s: %(code)s") % {"unit": unit.code, "code": missing[0]},
                    "units",
                )
            inspectors = list(
                queries.inspector_candidates(unit).filter(username__in=data.getlist("inspectors"))
            )
            plan = actions.create_plan(
                request.user,
                unit=unit,
                title=data.get("title", ""),
                starts_on=_day(data.get("starts_on", ""), "starts_on"),
                ends_on=_day(data.get("ends_on", ""), "ends_on"),
                units=targets,
                inspectors=inspectors,
            )
        except ActionError as exc:
            error, status = (exc.field, str(exc)), 400
        else:
            messages.success(request, _("Inspection plan created."))
            return HttpResponseSeeOther(reverse("safety_plan", args=[plan.uid]))
    context = {
        "unit": unit,
        "admin_units": access.visible_units(request.user, queries.PLAN_ROLES)
        .exclude(kind=Unit.Kind.GRID)
        .order_by("path")[:200],
        "targets": unit.subtree().filter(kind=Unit.Kind.ENTERPRISE, active=True).order_by("code")[:1000]
        if unit
        else [],
        "inspectors": queries.inspector_candidates(unit) if unit else [],
        "posted": data if request.method == "POST" else {},
        "chosen_units": data.getlist("units") if request.method == "POST" else [],
        "chosen_inspectors": data.getlist("inspectors") if request.method == "POST" else [],
        "error": error,
    }
    return render(request, "safety/plan_new.html", context, status=status)


@require_GET
@never_cache
@login_required
def plan_page(request: HttpRequest, plan_uid: uuid.UUID) -> HttpResponse:
    plan = queries.plan_for_user(request.user, plan_uid)
    visits = queries.visible_visits(request.user).filter(plan=plan).select_related("unit", "inspector")
    visited = set(visits.values_list("unit_id", flat=True))
    units = [(u, u.pk in visited) for u in plan.units.order_by("code")]
    context = {
        "plan": plan,
        "units": units,
        "visits": visits.annotate(n_findings=Count("findings")),
        "inspectors": plan.inspectors.order_by("username"),
    }
    return render(request, "safety/plan.html", context)


# --- visits ----------------------------------------------------------------------------------------


def _visits(request: HttpRequest) -> QuerySet:
    qs = queries.in_unit(queries.visible_visits(request.user), request.user, _unit_code(request))
    open_q = Q(findings__item__state__in=list(OPEN_STATES))
    return (
        qs.select_related("unit", "enterprise", "inspector", "plan")
        .annotate(
            n_findings=Count("findings", distinct=True),
            n_open=Count("findings", filter=open_q, distinct=True),
        )
        .order_by("-visited_at", "-pk")
    )


@require_GET
@never_cache
@login_required
def visits(request: HttpRequest) -> HttpResponse:
    page = _page(request, _visits(request))
    for v in page:
        v.local_at = local(v.visited_at, v.enterprise.timezone)
    context = {"page": page, "unit_code": _unit_code(request), "top_units": access.top_units(request.user)}
    return render(request, "safety/visits.html", context)


VISIT_COLUMNS = (
    ("id", "编号"),
    ("unit", "单位编码"),
    ("unit_name", "单位名称"),
    ("visited (local time)", "检查时间(当地时间)"),
    ("inspector", "督查员"),
    ("self-inspection", "自查"),
    ("plan", "督查计划"),
    ("issues on the checklist", "检查表问题项"),
    ("findings", "发现问题"),
    ("open findings", "未整改"),
    ("summary", "小结"),
)


@require_GET
@never_cache
@login_required
def visits_export(request: HttpRequest) -> StreamingHttpResponse:
    qs = _visits(request).annotate(
        n_issues=Count("checklist", filter=Q(checklist__result=CheckResult.ISSUE), distinct=True)
    )

    def rows() -> Iterator[tuple]:
        for v in qs.iterator(chunk_size=2000):
            yield (
                str(v.uid),
                v.unit.code,
                v.unit.name,
                local(v.visited_at, v.enterprise.timezone),
                v.inspector.username,
                v.self_inspection,
                v.plan.title if v.plan else "",
                v.n_issues,
                v.n_findings,
                v.n_open,
                v.summary,
            )

    return xlsx_response(
        f"inspection-visits-{_unit_code(request) or 'all'}", ("visits", "督查检查"), VISIT_COLUMNS, rows()
    )


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def visit_new(request: HttpRequest) -> HttpResponse:
    """Record a visit: the 15-aspect checklist, each line in order / issue / not applicable."""
    data = request.POST if request.method == "POST" else request.GET
    unit = unit_asked(request, queries.INSPECTION_READ_ROLES, data=data)
    if unit is not None and not queries.can_visit(request.user, unit):
        raise PermissionDenied
    plan = None
    if data.get("plan"):
        plan = queries.plan_for_user(request.user, data["plan"])
    error, status = None, 200
    if request.method == "POST":
        try:
            if unit is None:
                raise ActionError(_("required"), "unit")
            results = {
                a.code: (data.get(f"check_{a.code}", ""), data.get(f"note_{a.code}", ""))
                for a in checklist.aspects()
            }
            visit = actions.record_visit(
                request.user,
                unit=unit,
                visited_at=data.get("visited_at", ""),
                results=results,
                summary=data.get("summary", ""),
                plan=plan,
                self_inspection=not queries.is_inspector_for(request.user, unit),
            )
        except ActionError as exc:
            error, status = (exc.field, str(exc)), 400
        else:
            messages.success(request, _("Visit recorded. Add what you found below."))
            return HttpResponseSeeOther(reverse("safety_visit", args=[visit.uid]))
    posted = data if request.method == "POST" else {}
    context = {
        "unit": unit,
        "plan": plan,
        "units": access.visible_units(request.user, queries.VISIT_ROLES)
        .filter(kind__in=actions.INCIDENT_UNIT_KINDS, active=True)
        .order_by("path")[:200],
        "aspects": [
            (a, posted.get(f"check_{a.code}", ""), posted.get(f"note_{a.code}", ""))
            for a in checklist.aspects()
        ],
        "results": CheckResult.choices,
        "posted": posted,
        "error": error,
        "now": timezone.now().astimezone(timezone.get_current_timezone())
        if unit is None
        else local(timezone.now(), unit.timezone),
    }
    return render(request, "safety/visit_new.html", context, status=status)


def _visit_context(request: HttpRequest, visit: Visit) -> dict:
    labels = {a.code: a.label for a in checklist.aspects()}
    findings = visit.findings.select_related("item", "item__owner").prefetch_related("attachments")
    return {
        "visit": visit,
        "tz": visit.enterprise.timezone,
        "entries": [(labels.get(e.aspect, e.aspect), e) for e in visit.checklist.all()],
        "findings": findings,
        "can_add": queries.can_add_finding(request.user, visit),
        "aspects": checklist.aspects(),
        "issue_aspects": [e.aspect for e in visit.checklist.all() if e.result == CheckResult.ISSUE],
    }


@require_GET
@never_cache
@login_required
def visit_page(request: HttpRequest, visit_uid: uuid.UUID) -> HttpResponse:
    visit = queries.visit_for_user(request.user, visit_uid)
    return render(request, "safety/visit.html", _visit_context(request, visit))


@require_POST
@never_cache
@login_required
def finding_new(request: HttpRequest, visit_uid: uuid.UUID) -> HttpResponse:
    visit = queries.visit_for_user(request.user, visit_uid)
    if not queries.can_add_finding(request.user, visit):
        raise PermissionDenied
    p = request.POST
    try:
        finding = actions.add_finding(
            request.user,
            visit,
            description=p.get("description", ""),
            deadline=p.get("deadline", ""),
            aspect=p.get("aspect", ""),
            files=request.FILES.getlist("files"),
        )
    except ActionError as exc:
        context = _visit_context(request, visit)
        context.update(error=(exc.field, str(exc)), posted=p)
        return render(request, "safety/visit.html", context, status=400)
    messages.success(request, _("Finding recorded; its rectification is in the ledger."))
    return HttpResponseSeeOther(reverse("safety_visit", args=[visit.uid]) + f"#f-{finding.uid}")


# --- findings --------------------------------------------------------------------------------------


def _findings(request: HttpRequest) -> QuerySet:
    qs = queries.in_unit(queries.visible_findings(request.user), request.user, _unit_code(request))
    state = request.GET.get("state", "open")
    qs = qs.filter(item__state__in=FINDING_STATES.get(state, FINDING_STATES["open"]))
    if request.GET.get("overdue") in ("1", "on", "true"):
        qs = qs.filter(item__state__in=list(OPEN_STATES), item__due_at__lt=timezone.now())
    return qs.select_related(
        "unit", "visit", "visit__enterprise", "visit__inspector", "item", "item__owner"
    ).order_by("item__due_at", "pk")


@require_GET
@never_cache
@login_required
def findings(request: HttpRequest) -> HttpResponse:
    page = _page(request, _findings(request))
    now = timezone.now()
    for f in page:
        f.overdue = f.item.is_open and f.item.due_at < now
        f.local_due = local(f.item.due_at, f.visit.enterprise.timezone)
    state = request.GET.get("state", "open")
    context = {
        "page": page,
        "unit_code": _unit_code(request),
        "state": state if state in FINDING_STATES else "open",
        "overdue": request.GET.get("overdue") in ("1", "on", "true"),
        "query": request.GET.urlencode(),
        "top_units": access.top_units(request.user),
    }
    return render(request, "safety/findings.html", context)


FINDING_COLUMNS = (
    ("id", "编号"),
    ("unit", "单位编码"),
    ("unit_name", "单位名称"),
    ("aspect", "方面"),
    ("finding", "问题"),
    ("found (local time)", "发现时间(当地时间)"),
    ("inspector", "督查员"),
    ("deadline (local time)", "整改期限(当地时间)"),
    ("owner", "整改责任人"),
    ("state", "状态"),
    ("closed (local time)", "销号时间(当地时间)"),
)


@require_GET
@never_cache
@login_required
def findings_export(request: HttpRequest) -> StreamingHttpResponse:
    qs = _findings(request)

    def rows() -> Iterator[tuple]:
        for f in qs.iterator(chunk_size=2000):
            tz = f.visit.enterprise.timezone
            yield (
                str(f.uid),
                f.unit.code,
                f.unit.name,
                checklist.label(f.aspect) if f.aspect else "",
                f.description,
                local(f.visit.visited_at, tz),
                f.visit.inspector.username,
                local(f.item.due_at, tz),
                f.item.owner.username if f.item.owner else "",
                f.item.get_state_display(),
                local(f.item.closed_at, tz),
            )

    return xlsx_response(
        f"inspection-findings-{_unit_code(request) or 'all'}",
        ("findings", "督查问题"),
        FINDING_COLUMNS,
        rows(),
    )


def _finding_context(request: HttpRequest, finding: Finding) -> dict:
    return {
        "finding": finding,
        "item": finding.item,
        "tz": finding.visit.enterprise.timezone,
        "aspect": checklist.label(finding.aspect) if finding.aspect else "",
        "attachments": finding.attachments.all(),
        "rechecks": finding.rechecks.select_related("inspector").prefetch_related("attachments"),
        "can_reinspect": queries.can_reinspect(request.user, finding) and finding.item.is_open,
        "overdue": finding.item.is_open and finding.item.due_at < timezone.now(),
    }


@require_GET
@never_cache
@login_required
def finding_page(request: HttpRequest, finding_uid: uuid.UUID) -> HttpResponse:
    finding = queries.finding_for_user(request.user, finding_uid)
    return render(request, "safety/finding.html", _finding_context(request, finding))


@require_POST
@never_cache
@login_required
def reinspect(request: HttpRequest, finding_uid: uuid.UUID) -> HttpResponse:
    finding = queries.finding_for_user(request.user, finding_uid)
    if not queries.can_reinspect(request.user, finding):
        raise PermissionDenied
    p = request.POST
    try:
        resolved = {"yes": True, "no": False}.get(p.get("resolved", ""))
        if resolved is None:
            raise ActionError(_("say whether it is rectified"), "resolved")
        recheck = actions.reinspect(
            request.user,
            finding,
            resolved=resolved,
            note=p.get("note", ""),
            files=request.FILES.getlist("files"),
            new_deadline=p.get("new_deadline", ""),
        )
    except ActionError as exc:
        finding.item.refresh_from_db()
        context = _finding_context(request, finding)
        context.update(error=(exc.field, str(exc)), posted=p)
        return render(request, "safety/finding.html", context, status=409 if exc.field == "state" else 400)
    messages.success(
        request,
        _("Rectified: the finding is closed out.")
        if recheck.resolved
        else _("Not rectified: recorded on the item."),
    )
    return HttpResponseSeeOther(reverse("safety_finding", args=[finding.uid]))


@require_GET
@never_cache
@login_required
def attachment(request: HttpRequest, file_uid: uuid.UUID) -> FileResponse:
    """A finding's file, to those who see the finding; served by this view, never by a public URL."""
    found = Attachment.objects.filter(
        uid=file_uid, finding__in=queries.visible_findings(request.user).values("pk")
    )
    att = found.first()
    if att is None:
        raise Http404("No such file")
    try:
        handle = att.file.open("rb")
    except FileNotFoundError:
        raise Http404("No such file") from None
    response = FileResponse(
        handle, as_attachment=not att.is_image, filename=att.name, content_type=att.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response

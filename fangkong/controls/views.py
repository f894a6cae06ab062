"""Pages of the controls module: operations drill-down, an enterprise's control plan (attest, history,
status, projects, re-screening list), and the group admin's regions and policy pages.

Scoped pages start from `access.unit_for_user` with the admin roles (404 out of scope, like absent);
group pages answer 404 to anyone but the group admin, like the health-card rules page.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from fangkong.lib.dates import parse_day
from fangkong.org import access
from fangkong.org.actions import ActionError
from fangkong.org.imports.base import ImportRefused
from fangkong.org.models import Region, Role, Unit

from . import actions, imports, operating, queries
from .models import (
    Aspect,
    ControlPlan,
    KeyProject,
    Level,
    Measure,
    OperatingStatus,
    PlanMeasure,
    RescreenEntry,
    RiskLevel,
)

ATTEST_ROLES = (Role.ENTERPRISE_ADMIN,)


class HttpResponseSeeOther(HttpResponseRedirect):
    status_code = 303


def is_group_admin(user) -> bool:
    return access.on_group(user)


def _group_only(request: HttpRequest) -> None:
    if not is_group_admin(request.user):
        raise Http404("No such page")


def _unit(request: HttpRequest, code: str) -> Unit:
    return access.unit_for_user(request.user, code, queries.PLAN_ROLES)


def _enterprise(request: HttpRequest, code: str) -> Unit:
    unit = _unit(request, code)
    if unit.kind != Unit.Kind.ENTERPRISE:
        raise Http404("No such enterprise")
    return unit


def _day(request: HttpRequest, unit: Unit, name: str = "date") -> date:
    raw = request.GET.get(name, "")
    if raw:
        try:
            return parse_day(raw)
        except ValueError:
            pass
    return queries.today_of(unit)


# --- operations ---------------------------------------------------------------------------------


@require_GET
@never_cache
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The caller's top units with their return-to-work figures (each links to its drill-down)."""
    units = [
        u for u in access.top_units(request.user) if access.has_role(request.user, queries.PLAN_ROLES, u)
    ]
    rows = []
    for u in units:
        if u.kind in (Unit.Kind.GROUP, Unit.Kind.SEGMENT, Unit.Kind.ENTERPRISE):
            day = queries.today_of(u)
            rows.append((u, queries.operations(u, day), queries.risk_distribution(u, day)))
    return render(request, "controls/home.html", {"rows": rows, "group_admin": is_group_admin(request.user)})


@require_GET
@never_cache
@login_required
def operations(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit(request, code)
    day = _day(request, unit)
    context = {
        "unit": unit,
        "day": day,
        "ops": queries.operations(unit, day),
        "risk": queries.risk_distribution(unit, day),
        "crumbs": access.visible_ancestors(request.user, unit, queries.PLAN_ROLES),
        "statuses": OperatingStatus.Status,
    }
    return render(request, "controls/operations.html", context)


# --- an enterprise's plan -----------------------------------------------------------------------


def _render_plan(
    request: HttpRequest,
    ent: Unit,
    *,
    status: int = 200,
    form: str = "",
    error: tuple[str, str] | None = None,
) -> HttpResponse:
    today = queries.today_of(ent)
    if not ControlPlan.objects.filter(enterprise=ent, current=True).exists() or (
        request.method == "GET" and _stale(ent, today)
    ):
        actions.sync_plans(request.user, [ent])
    plan = queries.current_plan(ent)
    level, source = queries.effective_level(ent, today)
    day = _day(request, ent, "day") if request.GET.get("day") else None
    user = request.user
    by_aspect: dict[str, list[PlanMeasure]] = {}
    if plan is not None:
        for pm in plan.measures.select_related("measure").order_by("measure__pk"):
            by_aspect.setdefault(pm.measure.aspect, []).append(pm)
    applied = queries.applied_on(ent, day) if day else None
    names = _measure_names(plan)
    context: dict[str, Any] = {
        "ent": ent,
        "today": today,
        "plan": plan,
        "level": level,
        "source": source,
        "override": queries.active_override(ent, today),
        "aspects": [(Aspect(a).label, pms) for a, pms in by_aspect.items()],
        "versions": ControlPlan.objects.filter(enterprise=ent)
        .select_related("policy")
        .order_by("-version")[:20],
        "added_names": [(c, names.get(c, c)) for c in plan.added] if plan else [],
        "relaxed_names": [(c, names.get(c, c)) for c in plan.relaxed] if plan else [],
        "applied": applied,
        "applied_aspects": _group_applied(applied) if applied else [],
        "status": queries.statuses_on([ent.pk], today).get(ent.pk),
        "statuses": OperatingStatus.Status.choices,
        "projects": KeyProject.objects.filter(enterprise=ent),
        "project_statuses": KeyProject.Status.choices,
        "rescreens": RescreenEntry.objects.filter(enterprise=ent).select_related("person", "region")[:200],
        "can_attest": access.has_role(user, ATTEST_ROLES, ent) and not user.is_superuser,
        "can_manage": access.has_role(user, queries.PLAN_ROLES, ent),
        "can_override": is_group_admin(user),
        "levels": Level.choices,
        "crumbs": access.visible_ancestors(user, ent, queries.PLAN_ROLES),
        "form": form,
        "error": error,
        "posted": request.POST if request.method == "POST" else {},
    }
    return render(request, "controls/plan.html", context, status=status)


def _stale(ent: Unit, today: date) -> bool:
    """The plan no longer matches the level or policy in force (an override lapsed, a dated level
    began): the page brings it in line, as the daily `fangkong controls overdue` job would."""
    plan = queries.current_plan(ent)
    level, _source = queries.effective_level(ent, today)
    return plan is None or plan.level != level or plan.policy_id != queries.policy_on(today).pk


def _measure_names(plan: ControlPlan | None) -> dict[str, str]:
    """Texts by code, from the plan's policy and the one before (a relaxed measure may be gone)."""
    if plan is None:
        return {}
    names: dict[str, str] = {}
    for m in Measure.objects.filter(policy__version__lte=plan.policy.version).order_by("policy__version"):
        names[m.code] = m.label
    return names


def _group_applied(applied: queries.Applied) -> list[tuple[str, list[tuple[Measure, PlanMeasure | None]]]]:
    groups: dict[str, list[tuple[Measure, PlanMeasure | None]]] = {}
    plan_states = {pm.measure.code: pm for pm in applied.states.values()} if applied.states else {}
    for m in applied.measures:
        groups.setdefault(m.aspect, []).append((m, plan_states.get(m.code)))
    return [(str(Aspect(a).label), ms) for a, ms in groups.items()]


@require_GET
@never_cache
@login_required
def plan(request: HttpRequest, code: str) -> HttpResponse:
    return _render_plan(request, _enterprise(request, code))


def _after(request: HttpRequest, ent: Unit, done: str, anchor: str = "") -> HttpResponse:
    messages.success(request, done)
    return HttpResponseSeeOther(reverse("controls_plan", args=[ent.code]) + anchor)


@require_POST
@never_cache
@login_required
def attest(request: HttpRequest, code: str, measure: str) -> HttpResponse:
    ent = _enterprise(request, code)
    if not access.has_role(request.user, ATTEST_ROLES, ent):
        raise PermissionDenied
    pm = (
        PlanMeasure.objects.filter(plan__enterprise=ent, plan__current=True, measure__code=measure)
        .select_related("plan", "measure")
        .first()
    )
    if pm is None:
        raise Http404("No such measure")
    try:
        actions.attest_measure(
            request.user,
            pm,
            state=request.POST.get("state", ""),
            note=request.POST.get("note", ""),
            evidence=request.FILES.get("evidence"),
        )
    except ActionError as exc:
        return _render_plan(request, ent, status=400, form=f"attest-{measure}", error=(exc.field, str(exc)))
    return _after(request, ent, _("Measure attested."), f"#m-{measure}")


@require_GET
@never_cache
@login_required
def evidence(request: HttpRequest, code: str, version: int, measure: str) -> FileResponse:
    ent = _enterprise(request, code)
    pm = PlanMeasure.objects.filter(
        plan__enterprise=ent, plan__version=version, measure__code=measure
    ).first()
    if pm is None or not pm.evidence:
        raise Http404("No such file")
    return FileResponse(
        pm.evidence.open("rb"), as_attachment=True, filename=pm.evidence.name.rsplit("/", 1)[-1]
    )


@require_POST
@never_cache
@login_required
def set_status(request: HttpRequest, code: str) -> HttpResponse:
    ent = _enterprise(request, code)
    p = request.POST
    try:
        day = parse_day(p.get("effective_from", "")) if p.get("effective_from") else queries.today_of(ent)
    except ValueError:
        return _render_plan(
            request, ent, status=400, form="status", error=("effective_from", _("not a date"))
        )
    try:
        operating.set_operating_status(
            request.user, ent, status=p.get("status", ""), effective_from=day, reason=p.get("reason", "")
        )
    except ActionError as exc:
        return _render_plan(request, ent, status=400, form="status", error=(exc.field, str(exc)))
    return _after(request, ent, _("Operating status saved."), "#status")


@require_POST
@never_cache
@login_required
def save_project(request: HttpRequest, code: str) -> HttpResponse:
    ent = _enterprise(request, code)
    p = request.POST
    existing = KeyProject.objects.filter(enterprise=ent, name=p.get("name", "").strip()).first()
    try:
        operating.save_project(
            request.user,
            ent,
            name=p.get("name", ""),
            investment=p.get("investment", ""),
            status=p.get("status", ""),
            note=p.get("note", ""),
            project=existing,
        )
    except ActionError as exc:
        return _render_plan(request, ent, status=400, form="project", error=(exc.field, str(exc)))
    return _after(request, ent, _("Project saved."), "#projects")


@require_POST
@never_cache
@login_required
def set_override(request: HttpRequest, code: str) -> HttpResponse:
    _group_only(request)
    ent = _enterprise(request, code)
    p = request.POST
    try:
        expires = parse_day(p.get("expires_on", ""))
    except ValueError:
        return _render_plan(request, ent, status=400, form="override", error=("expires_on", _("not a date")))
    try:
        actions.set_override(
            request.user, ent, level=p.get("level", ""), reason=p.get("reason", ""), expires_on=expires
        )
    except ActionError as exc:
        return _render_plan(request, ent, status=400, form="override", error=(exc.field, str(exc)))
    return _after(request, ent, _("Override set; the plan follows it."))


@require_POST
@never_cache
@login_required
def cancel_override(request: HttpRequest, code: str) -> HttpResponse:
    _group_only(request)
    ent = _enterprise(request, code)
    o = queries.active_override(ent, queries.today_of(ent))
    if o is None:
        return _render_plan(
            request, ent, status=409, form="override", error=("override", _("no override in force"))
        )
    actions.cancel_override(request.user, o)
    return _after(request, ent, _("Override cancelled."))


@require_GET
@never_cache
@login_required
def rescreens(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit(request, code)
    rows = (
        RescreenEntry.objects.filter(enterprise__path__startswith=unit.path)
        .select_related("person", "enterprise", "region", "item", "item__owner")
        .order_by("-created_at", "enterprise__code", "person__employee_no")[:500]
    )
    return render(request, "controls/rescreens.html", {"unit": unit, "rows": rows})


# --- group admin: regions and policy ------------------------------------------------------------


def _render_regions(
    request: HttpRequest, *, status: int = 200, error: tuple[str, str] | None = None, import_errors=None
) -> HttpResponse:
    today = timezone.localdate()
    context = {
        "today": today,
        "in_force": queries.levels_by_group(today),
        "recent": queries.recent_levels(),
        "levels": Level.choices,
        "error": error,
        "import_errors": import_errors or [],
        "posted": request.POST if request.method == "POST" else {},
    }
    return render(request, "controls/regions.html", context, status=status)


@require_GET
@never_cache
@login_required
def regions(request: HttpRequest) -> HttpResponse:
    _group_only(request)
    return _render_regions(request)


@require_POST
@never_cache
@login_required
def region_set(request: HttpRequest) -> HttpResponse:
    _group_only(request)
    p = request.POST
    try:
        day = parse_day(p.get("effective_from", ""))
    except ValueError:
        return _render_regions(request, status=400, error=("effective_from", _("not a date (YYYY-MM-DD)")))
    try:
        out = actions.set_region_risk(
            request.user, p.get("region", ""), p.get("level", ""), day, source="web", note=p.get("note", "")
        )
    except ActionError as exc:
        return _render_regions(request, status=400, error=(exc.field, str(exc)))
    messages.success(
        request,
        _("Level saved: %(plans)d enterprises got a new plan, %(people)d people listed for re-screening.")
        % {"plans": len(out.plans), "people": len(out.rescreened)},
    )
    return HttpResponseSeeOther(reverse("controls_regions"))


@require_POST
@never_cache
@login_required
def region_import(request: HttpRequest) -> HttpResponse:
    _group_only(request)
    upload = request.FILES.get("file")
    if upload is None:
        return _render_regions(request, status=400, error=("file", _("choose a CSV or XLSX file")))
    try:
        result = imports.import_levels(request.user, upload, upload.name or "upload.csv")
    except ImportRefused as exc:
        return _render_regions(request, status=400, error=("file", str(exc)))
    if not result.ok:
        return _render_regions(request, status=400, import_errors=result.errors)
    messages.success(
        request,
        _("%(n)d levels imported: %(plans)d new plans, %(people)d people listed for re-screening.")
        % {"n": result.saved, "plans": result.replanned, "people": result.rescreened},
    )
    return HttpResponseSeeOther(reverse("controls_regions"))


@require_GET
@never_cache
@login_required
def region(request: HttpRequest, region_code: str) -> HttpResponse:
    _group_only(request)
    r = Region.objects.filter(code=region_code).first()
    if r is None:
        raise Http404("No such region")
    today = timezone.localdate()
    context = {
        "region": r,
        "level": queries.region_level(r.code, today),
        "history": RiskLevel.objects.filter(region=r).order_by("-effective_from", "-pk"),
        "enterprises": queries.enterprises_in_region(r),
        "chain": Region.objects.filter(code__in=queries.region_chain(r.code)).order_by("code"),
    }
    return render(request, "controls/region.html", context)


def _render_policy(
    request: HttpRequest, *, status: int = 200, error: tuple[str, str] | None = None
) -> HttpResponse:
    policy = queries.current_policy()
    by_aspect: dict[str, list[Measure]] = {}
    for m in policy.measures.all():
        by_aspect.setdefault(m.aspect, []).append(m)
    context = {
        "policy": policy,
        "aspects": [(a, Aspect(a).label, by_aspect.get(a, [])) for a in Aspect.values],
        "levels": Level.choices,
        "error": error,
        "versions": type(policy).objects.order_by("-version")[:20],
    }
    return render(request, "controls/policy.html", context, status=status)


@require_GET
@never_cache
@login_required
def policy(request: HttpRequest) -> HttpResponse:
    _group_only(request)
    return _render_policy(request)


@require_POST
@never_cache
@login_required
def policy_publish(request: HttpRequest) -> HttpResponse:
    """Publish the edited measures as a new version. Rows come as m-<n>-<field>, in page order; a
    blank Chinese text drops a measure."""
    _group_only(request)
    p = request.POST
    rows: list[actions.MeasureInput] = []
    for key in p:
        match = re.fullmatch(r"m-(\d+)-aspect", key)
        if not match:
            continue
        n = match.group(1)
        text = p.get(f"m-{n}-text", "").strip()
        if text:
            aspect = p.get(key, "")
            rows.append(
                actions.MeasureInput(
                    aspect,
                    p.get(f"m-{n}-code", "").strip() or f"{aspect}.m{n}",
                    text,
                    p.get(f"m-{n}-text_en", ""),
                    p.get(f"m-{n}-level", ""),
                )
            )
    try:
        hours = int(p.get("attest_hours", "") or 0)
    except ValueError:
        hours = 0
    try:
        version = actions.publish_policy(request.user, rows, attest_hours=hours, note=p.get("note", ""))
    except ActionError as exc:
        return _render_policy(request, status=400, error=(exc.field, str(exc)))
    messages.success(
        request, _("Policy version %(v)d published; every plan follows it.") % {"v": version.version}
    )
    return HttpResponseSeeOther(reverse("controls_policy"))

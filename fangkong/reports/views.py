"""Unit report pages: the report form, the review page of the level above, completeness with
drill-down, the compilation (and its XLSX), and the group admin's report type configuration.

Every page starts from `access.unit_for_user` with the admin roles (404 like absent). One URL per
action; a refused action comes back as a message beside the form, never a 500.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from fangkong.lib.dates import business_day, parse_day
from fangkong.lib.xlsx import stream_xlsx
from fangkong.org import access
from fangkong.org.actions import ActionError
from fangkong.org.models import Unit

from . import actions, config, queries
from .models import Category, Field, Period, ReportType, UnitReport
from .periods import closes_at, deadline, period_of
from .validation import ValuesInvalid


def _unit(request: HttpRequest, code: str) -> Unit:
    return access.unit_for_user(request.user, code, queries.READ_ROLES)


def _day(request: HttpRequest, unit: Unit) -> date:
    raw = request.GET.get("date") or request.POST.get("date") or ""
    try:
        return parse_day(raw) if raw else business_day(unit.timezone)
    except ValueError:
        return business_day(unit.timezone)


def _type(request: HttpRequest) -> ReportType:
    code = request.GET.get("type") or request.POST.get("type") or queries.DEFAULT_TYPE
    rt = ReportType.objects.select_related("category").filter(code=code).first()
    return rt or queries.report_type(queries.DEFAULT_TYPE)


def _back(name: str, unit: Unit, rt: ReportType, day: date) -> HttpResponseRedirect:
    return HttpResponseRedirect(
        reverse(name, args=[unit.code]) + "?" + urlencode({"type": rt.code, "date": day.isoformat()})
    )


def _message(exc: ActionError) -> str:
    if isinstance(exc, ValuesInvalid):
        return "; ".join(f"{f}: {m}" for f, m in exc.errors)
    return f"{exc.field}: {exc}" if exc.field else str(exc)


@require_GET
@never_cache
@login_required
def home(request: HttpRequest) -> HttpResponse:
    units = [u for u in access.top_units(request.user) if queries.can_submit(request.user, u)]
    return render(
        request,
        "reports/home.html",
        {
            "units": units,
            "types": ReportType.objects.filter(active=True),
            "configure": queries.can_configure(request.user),
        },
    )


# --- the unit's report form ----------------------------------------------------------------------


def _form_context(
    request: HttpRequest, unit: Unit, rt: ReportType, day: date, **extra: Any
) -> dict[str, Any]:
    start, last = period_of(rt, day)
    report = UnitReport.objects.filter(unit=unit, report_type=rt, period_start=start).first()
    fields = rt.ordered_fields()
    computed = report.computed if report else actions.computed_values(rt, unit, day)
    typed = extra.pop("typed", None) or (report.values if report else {})
    errors = extra.pop("errors", {})
    return {
        "unit": unit,
        "rt": rt,
        "day": day,
        "start": start,
        "last": last,
        "report": report,
        "events": report.events.all() if report else [],
        "rows": [
            {
                "f": f,
                "value": computed.get(f.code) if f.binding else typed.get(f.code, ""),
                "error": errors.get(f.code, ""),
            }
            for f in fields
        ],
        "types": ReportType.objects.filter(active=True),
        "expected": queries.expected_units(rt, day).filter(pk=unit.pk).exists(),
        "can_submit": queries.can_submit(request.user, unit),
        "deadline": deadline(rt, unit, day),
        "closes": closes_at(rt, unit, day),
        "blocking": queries.children_ready(unit, rt, day),
        **extra,
    }


@require_GET
@never_cache
@login_required
def form(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit(request, code)
    rt, day = _type(request), _day(request, unit)
    return render(request, "reports/form.html", _form_context(request, unit, rt, day))


@require_POST
@never_cache
@login_required
def submit(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit(request, code)
    rt, day = _type(request), _day(request, unit)
    typed = {f.code: request.POST.get(f.code, "") for f in rt.fields.all() if not f.binding}
    try:
        _check_submitter(request, unit)
        actions.submit_report(request.user, unit, rt, day, values=typed)
    except ActionError as exc:
        errors = dict(exc.errors) if isinstance(exc, ValuesInvalid) else {exc.field: str(exc)}
        messages.error(request, _("Not saved. %(why)s") % {"why": _message(exc)})
        context = _form_context(request, unit, rt, day, typed=typed, errors=errors)
        return render(request, "reports/form.html", context, status=422)
    messages.success(request, _("Report submitted."))
    return _back("reports_form", unit, rt, day)


def _check_submitter(request: HttpRequest, unit: Unit) -> None:
    if not queries.can_submit(request.user, unit):
        raise ActionError(_("you may not submit this unit's reports"), "unit")


@require_POST
@never_cache
@login_required
def zero(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit(request, code)
    rt, day = _type(request), _day(request, unit)
    try:
        _check_submitter(request, unit)
        if request.POST.get("confirm") != "1":
            raise ActionError(_("confirm that there is nothing to report"), "confirm")
        actions.submit_report(request.user, unit, rt, day, zero=True)
    except ActionError as exc:
        messages.error(request, _("Zero report refused. %(why)s") % {"why": _message(exc)})
    else:
        messages.success(request, _("Zero report submitted."))
    return _back("reports_form", unit, rt, day)


# --- review by the level above -------------------------------------------------------------------


@require_GET
@never_cache
@login_required
def review(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit(request, code)
    rt, day = _type(request), _day(request, unit)
    start, _last = period_of(rt, day)
    children = queries.reporting_children(unit, rt, day)
    reports = {
        r.unit_id: r
        for r in UnitReport.objects.filter(
            report_type=rt, period_start=start, unit__in=children
        ).prefetch_related("events")
    }
    missing = {u.pk for u in queries.missing_units(rt, day, under=unit)}
    fields = [f for f in rt.ordered_fields()]
    rows = [
        {
            "unit": c,
            "report": reports.get(c.pk),
            "missing": c.pk in missing,
            "cells": [
                (reports[c.pk].computed if f.binding else reports[c.pk].values).get(f.code, "")
                for f in fields
            ]
            if c.pk in reports
            else [],
            "can_review": queries.can_review(request.user, c),
        }
        for c in children
    ]
    return render(
        request,
        "reports/review.html",
        {
            "unit": unit,
            "rt": rt,
            "day": day,
            "rows": rows,
            "fields": fields,
            "types": ReportType.objects.filter(active=True),
        },
    )


def _child_step(request: HttpRequest, code: str, step) -> HttpResponse:
    """Scope (404), then the step on the reporting unit `code`; back to the parent's review page."""
    unit = _unit(request, code)
    rt, day = _type(request), _day(request, unit)
    try:
        step(unit, rt, day)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    except ActionError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, _("Done."))
    parent = unit.parent
    target = parent if parent is not None and queries.can_review(request.user, unit) else unit
    return _back("reports_review", target, rt, day)


def _report(unit: Unit, rt: ReportType, day: date) -> UnitReport:
    start = period_of(rt, day)[0]
    report = UnitReport.objects.filter(unit=unit, report_type=rt, period_start=start).first()
    if report is None:
        raise ActionError(_("nothing submitted for this period"), "state")
    return report


@require_POST
@never_cache
@login_required
def accept(request: HttpRequest, code: str) -> HttpResponse:
    return _child_step(
        request, code, lambda u, rt, d: actions.review_report(request.user, _report(u, rt, d), accept=True)
    )


@require_POST
@never_cache
@login_required
def return_(request: HttpRequest, code: str) -> HttpResponse:
    comment = request.POST.get("comment", "")
    return _child_step(
        request,
        code,
        lambda u, rt, d: actions.review_report(
            request.user, _report(u, rt, d), accept=False, comment=comment
        ),
    )


@require_POST
@never_cache
@login_required
def excuse(request: HttpRequest, code: str) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _child_step(
        request, code, lambda u, rt, d: actions.excuse_unit(request.user, u, rt, d, reason=reason)
    )


@require_POST
@never_cache
@login_required
def unlock(request: HttpRequest, code: str) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _child_step(
        request, code, lambda u, rt, d: actions.grant_unlock(request.user, u, rt, d, reason=reason)
    )


# --- completeness and compilation ----------------------------------------------------------------


@require_GET
@never_cache
@login_required
def reporting(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit(request, code)
    rt, day = _type(request), _day(request, unit)
    figures = queries.reporting(unit, day, rt.code)
    names = dict(unit.children.values_list("code", "name"))
    for child in figures["children"]:
        child["name"] = names.get(child["code"], "")
    crumbs = access.visible_ancestors(request.user, unit, queries.READ_ROLES)
    return render(
        request,
        "reports/reporting.html",
        {
            "unit": unit,
            "rt": rt,
            "day": day,
            "f": figures,
            "crumbs": crumbs,
            "types": ReportType.objects.filter(active=True),
        },
    )


@require_GET
@never_cache
@login_required
def compiled(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit(request, code)
    day = _day(request, unit)
    return render(
        request, "reports/compiled.html", {"unit": unit, "day": day, "c": queries.compiled(unit, day)}
    )


@require_GET
@never_cache
@login_required
def compiled_export(request: HttpRequest, code: str) -> StreamingHttpResponse:
    unit = _unit(request, code)
    day = _day(request, unit)
    c = queries.compiled(unit, day)
    zh = (get_language() or "").lower().startswith("zh")
    header = ["单位编码" if zh else "unit", "单位" if zh else "name"] + [
        f"{col.category}/{col.report_type}/{col.label}" for col in c.columns
    ]
    rows = [[u.code, u.name, *values] for u, values in c.rows] + [["", "合计" if zh else "total", *c.total]]
    response = StreamingHttpResponse(
        stream_xlsx("汇总" if zh else "compiled", header, rows),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    filename = f"reports-{unit.code}-{day.isoformat()}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    return response


# --- report type configuration (group admin) -----------------------------------------------------


def _configurer(request: HttpRequest) -> None:
    if not queries.can_configure(request.user):
        raise Http404("No such page")


def _type_context(rt: ReportType | None, **extra: Any) -> dict[str, Any]:
    fields = rt.ordered_fields() if rt else []
    return {
        "rt": rt,
        "fields": fields,
        "blank_rows": range(len(fields), len(fields) + 3),
        "categories": Category.objects.all(),
        "periods": Period.choices,
        "kinds": Field.Kind.choices,
        "rollups": Field.Rollup.choices,
        "bindings": Field.Binding.choices,
        "unit_kinds": Unit.Kind.choices,
        "assignments": rt.assignments.select_related("unit", "under") if rt else [],
        **extra,
    }


@require_GET
@never_cache
@login_required
def types(request: HttpRequest) -> HttpResponse:
    _configurer(request)
    listing = ReportType.objects.select_related("category").prefetch_related("fields")
    return render(request, "reports/types.html", {"types": listing, **_type_context(None)})


@require_GET
@never_cache
@login_required
def type_edit(request: HttpRequest, type_code: str) -> HttpResponse:
    _configurer(request)
    rt = ReportType.objects.filter(code=type_code).first()
    if rt is None:
        raise Http404("No such report type")
    return render(request, "reports/type_edit.html", _type_context(rt))


def _save(request: HttpRequest, rt: ReportType | None) -> HttpResponse:
    data = config.from_post(request.POST)
    try:
        saved = config.save_report_type(request.user, rt, data)
    except ActionError as exc:
        messages.error(request, _("Not saved. %(why)s") % {"why": _message(exc)})
        template = "reports/type_edit.html" if rt else "reports/types.html"
        extra = {"types": ReportType.objects.select_related("category")} if rt is None else {}
        return render(request, template, {**_type_context(rt), **extra, "posted": data}, status=422)
    messages.success(request, _("Report type saved."))
    return HttpResponseRedirect(reverse("reports_type_edit", args=[saved.code]))


@require_POST
@never_cache
@login_required
def type_create(request: HttpRequest) -> HttpResponse:
    _configurer(request)
    return _save(request, None)


@require_POST
@never_cache
@login_required
def type_save(request: HttpRequest, type_code: str) -> HttpResponse:
    _configurer(request)
    rt = ReportType.objects.filter(code=type_code).first()
    if rt is None:
        raise Http404("No such report type")
    return _save(request, rt)


urlpatterns = [
    path("", home, name="reports_home"),
    path("units/<str:code>/", form, name="reports_form"),
    path("units/<str:code>/submit/", submit, name="reports_submit"),
    path("units/<str:code>/zero/", zero, name="reports_zero"),
    path("units/<str:code>/review/", review, name="reports_review"),
    path("units/<str:code>/accept/", accept, name="reports_accept"),
    path("units/<str:code>/return/", return_, name="reports_return"),
    path("units/<str:code>/excuse/", excuse, name="reports_excuse"),
    path("units/<str:code>/unlock/", unlock, name="reports_unlock"),
    path("units/<str:code>/reporting/", reporting, name="reports_reporting"),
    path("units/<str:code>/compiled/", compiled, name="reports_compiled"),
    path("units/<str:code>/compiled.xlsx", compiled_export, name="reports_compiled_export"),
    path("types/", types, name="reports_types"),
    path("types/new/", type_create, name="reports_type_create"),
    path("types/<slug:type_code>/", type_edit, name="reports_type_edit"),
    path("types/<slug:type_code>/save/", type_save, name="reports_type_save"),
]

"""Uploading a grid's or an enterprise's day of check-ins (XLSX or CSV) by its leader."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from fangkong.checkins import day_import
from fangkong.checkins.models import SYMPTOMS
from fangkong.org import access
from fangkong.org.models import Role, Unit

# The grid's leader or the enterprise's prevention officer enters a day; admins above only read.
UPLOAD_ROLES = frozenset({Role.GRID_LEADER, Role.ENTERPRISE_ADMIN})


def _unit(request: HttpRequest, code: str) -> Unit:
    return access.unit_for_user(request.user, code, UPLOAD_ROLES)


def _context(request: HttpRequest, unit: Unit, **extra: object) -> dict[str, object]:
    ancestors = access.visible_ancestors(request.user, unit)
    return {
        "unit": unit,
        "ancestors": ancestors,
        "columns": day_import.COLUMNS,
        "symptoms": list(SYMPTOMS),
        **extra,
    }


@require_GET
@never_cache
@login_required
def upload_form(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit(request, code)
    return render(request, "checkins/upload.html", _context(request, unit))


@require_POST
@never_cache
@login_required
def upload_run(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit(request, code)
    upload = request.FILES.get("file")
    result = None
    error = ""
    if upload is None:
        error = _("File: choose an .xlsx or .csv file.")
    else:
        try:
            result = day_import.run_day_import(
                request.user,
                unit,
                upload,
                upload.name or "",
                dry_run=bool(request.POST.get("dry_run")),
            )
        except day_import.ImportRefused as exc:
            error = str(exc)
    status = 200 if result is not None and result.ok else 400
    return render(
        request, "checkins/upload.html", _context(request, unit, result=result, error=error), status=status
    )


urlpatterns: list[URLPattern] = [
    path("units/<str:code>/checkins/upload/", upload_form, name="checkins_upload"),
    path("units/<str:code>/checkins/upload/run/", upload_run, name="checkins_upload_run"),
]

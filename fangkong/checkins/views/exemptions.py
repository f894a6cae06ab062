"""Exemptions: people not expected to check in for a while (leave, business trip, off shift), entered
and cancelled by the grid leader or the enterprise's prevention officer."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from fangkong.lib.dates import parse_day
from fangkong.org import access
from fangkong.org.actions import ActionError
from fangkong.org.models import Role, Unit

from .. import actions
from ..models import Exemption
from .proxy import ancestors, today_of

EXEMPT_ROLES = frozenset({Role.ENTERPRISE_ADMIN, Role.GRID_LEADER})
PAGE_SIZE = 100
FIELDS = ("employee_no", "reason", "start", "end", "note")


def _exemptions(request: HttpRequest, unit: Unit) -> QuerySet[Exemption]:
    """Exemptions not cancelled and not over, of the people of the unit's subtree."""
    people = access.visible_people(request.user, within=unit)
    return (
        Exemption.objects.filter(
            person__in=people.values("pk"), cancelled_at__isnull=True, end__gte=today_of(unit)
        )
        .select_related("person__unit")
        .order_by("start", "person__employee_no", "pk")
    )


def _render(
    request: HttpRequest,
    unit: Unit,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    day = today_of(unit)
    page = Paginator(_exemptions(request, unit), PAGE_SIZE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "unit": unit,
        "day": day,
        "ancestors": ancestors(request, unit),
        "page": page,
        "reasons": Exemption.Reason.choices,
        "values": values or {"start": day.isoformat(), "end": day.isoformat(), "reason": "leave"},
        "errors": errors or {},
    }
    return render(request, "checkins/exemptions.html", context, status=status)


def _back(unit: Unit) -> HttpResponseRedirect:
    response = HttpResponseRedirect(reverse("exemption_list", args=[unit.code]))
    response.status_code = 303  # see the list after a POST
    return response


@require_GET
@never_cache
@login_required
def exemption_list(request: HttpRequest, code: str) -> HttpResponse:
    unit = access.unit_for_user(request.user, code, EXEMPT_ROLES)
    return _render(request, unit)


@require_POST
@never_cache
@login_required
def exemption_add(request: HttpRequest, code: str) -> HttpResponse:
    unit = access.unit_for_user(request.user, code, EXEMPT_ROLES)
    values = {f: request.POST.get(f, "").strip() for f in FIELDS}
    errors: dict[str, str] = {}
    person = (
        access.visible_people(request.user, within=unit).filter(employee_no=values["employee_no"]).first()
        if values["employee_no"]
        else None
    )
    if person is None:
        errors["employee_no"] = _("Nobody with this employee number in %(unit)s.") % {"unit": unit.name}
    days = {}
    for f in ("start", "end"):
        try:
            days[f] = parse_day(values[f])
        except ValueError:
            errors[f] = _("Enter a date as YYYY-MM-DD.")
    if person is not None and not errors:
        try:
            actions.add_exemption(
                request.user,
                person,
                start=days["start"],
                end=days["end"],
                reason=values["reason"],
                note=values["note"][:200],
            )
        except ActionError as exc:
            errors[exc.field if exc.field in FIELDS else "form"] = str(exc)
        else:
            return _back(unit)
    return _render(request, unit, values=values, errors=errors, status=422)


@require_POST
@never_cache
@login_required
def exemption_cancel(request: HttpRequest, code: str) -> HttpResponse:
    """Cancel one exemption of a person in the unit's subtree. One not found there (already gone,
    or someone else's) changes nothing: the list shown next says what stands."""
    unit = access.unit_for_user(request.user, code, EXEMPT_ROLES)
    raw = request.POST.get("exemption", "")
    people = access.visible_people(request.user, within=unit)
    exemption = (
        Exemption.objects.select_related("person__enterprise")
        .filter(pk=int(raw), person__in=people.values("pk"))
        .first()
        if raw.isascii() and raw.isdigit() and len(raw) < 19
        else None
    )
    if exemption is not None:
        actions.cancel_exemption(request.user, exemption)
    return _back(unit)


urlpatterns: list[URLPattern] = [
    path("units/<str:code>/exemptions/", exemption_list, name="exemption_list"),
    path("units/<str:code>/exemptions/add/", exemption_add, name="exemption_add"),
    path("units/<str:code>/exemptions/cancel/", exemption_cancel, name="exemption_cancel"),
]

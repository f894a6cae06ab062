"""Pages to browse the tree and the roster. Every view starts from org/access.py."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from . import access, exports, imports
from .models import Person, Unit


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    tops = access.top_units(request.user)
    person = Person.objects.filter(user=request.user).select_related("unit").first()
    return render(request, "org/home.html", {
        "roles": access.roles_of(request.user),
        "tops": tops,
        "person": person,
    })


@require_GET
@login_required
def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    unit = access.unit_for_user(request.user, code)
    can_roster = access.can_read_roster(request.user, unit)
    children = unit.children.order_by("code")
    if can_roster:
        children = children.annotate(
            headcount=Count("people", filter=Q(people__status=Person.Status.ACTIVE), distinct=True))
    ancestors = [a for a in Unit.objects.filter(pk__in=unit.ancestor_ids).order_by("depth")
                 if access.has_role(request.user, access.ALL_ROLES, a)]
    subtree_people = access.visible_people(request.user, within=unit).filter(
        status=Person.Status.ACTIVE).count() if can_roster else None
    return render(request, "org/unit_detail.html", {
        "unit": unit,
        "ancestors": ancestors,
        "children": children,
        "can_roster": can_roster,
        "can_import": access.has_role(request.user, access.ADMIN_ROLES, unit),
        "headcount": subtree_people,
    })


def _filtered_people(request: HttpRequest, unit: Unit):
    people = access.visible_people(request.user, within=unit).select_related("unit")
    q = request.GET.get("q", "").strip()
    if q:
        people = people.filter(Q(employee_no__startswith=q) | Q(name__contains=q))
    status = request.GET.get("status", "active")
    if status in Person.Status.values:
        people = people.filter(status=status)
    sub = request.GET.get("unit", "").strip()
    if sub:
        subunit = access.visible_units(request.user, access.ROSTER_ROLES).filter(
            code=sub, path__startswith=unit.path).first()
        people = people.filter(unit__path__startswith=subunit.path) if subunit else people.none()
    return people.order_by("employee_no"), {"q": q, "status": status, "unit": sub}


@require_GET
@never_cache
@login_required
def roster(request: HttpRequest, code: str) -> HttpResponse:
    unit = access.unit_for_user(request.user, code, access.ROSTER_ROLES)
    people, filters = _filtered_people(request, unit)
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    template = "org/_roster_rows.html" if request.htmx else "org/roster.html"
    return render(request, template, {
        "unit": unit, "page": page, "filters": filters, "statuses": Person.Status.choices,
        "query": request.GET.urlencode(),
    })


@require_GET
@never_cache
@login_required
def roster_export(request: HttpRequest, code: str) -> StreamingHttpResponse:
    unit = access.unit_for_user(request.user, code, access.ROSTER_ROLES)
    people, _ = _filtered_people(request, unit)
    stamp = timezone.localdate().isoformat()
    response = StreamingHttpResponse(
        exports.roster_xlsx(people),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="roster-{unit.code}-{stamp}.xlsx"'
    return response


def _import_unit(request: HttpRequest, code: str) -> Unit:
    unit = access.unit_for_user(request.user, code)
    if not access.has_role(request.user, access.ADMIN_ROLES, unit):
        raise Http404("No such unit")
    return unit


@require_GET
@login_required
def import_form(request: HttpRequest, code: str) -> HttpResponse:
    unit = _import_unit(request, code)
    return render(request, "org/import.html", {"unit": unit, "kinds": imports.KINDS})


@require_POST
@login_required
def import_run(request: HttpRequest, code: str) -> HttpResponse:
    unit = _import_unit(request, code)
    kind = request.POST.get("kind", "roster")
    upload = request.FILES.get("file")
    result = None
    error = ""
    if kind not in imports.KINDS:
        error = "kind: must be one of " + ", ".join(imports.KINDS)
    elif upload is None:
        error = "file: choose a .xlsx or .csv file"
    else:
        try:
            result = imports.run_import(request.user, kind, upload, upload.name or "", within=unit,
                                        dry_run=bool(request.POST.get("dry_run")))
        except imports.ImportRefused as exc:
            error = str(exc)
    status = 200 if result is not None and result.ok else 400
    return render(request, "org/import.html", {
        "unit": unit, "kinds": imports.KINDS, "result": result, "error": error,
    }, status=status)

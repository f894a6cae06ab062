"""Pages to browse the tree and the roster. Every view starts from org/access.py."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from fangkong.privacy.actions import log_access

from . import access, exports, imports
from .models import Person, Role, Unit

# Unit pages are for the people who work on units. An employee's own role gives it its health card
# and the news column, not a view of the org tree (minimum disclosure).
UNIT_ROLES = frozenset(access.ALL_ROLES - {Role.EMPLOYEE})

ROSTER_PAGE_SIZE = 50


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


IMPORT_KIND_LABELS = {"units": gettext_lazy("Units"), "roster": gettext_lazy("Roster")}


def _active_headcounts(request: HttpRequest, unit: Unit) -> tuple[int, dict[int, int]]:
    """Active people in the unit's subtree: the total, and per child (keyed by the child's pk).

    Counted per unit id (an index-only scan of person_unit_status_idx), then summed per child from
    the subtree's paths: grouped by the unit's path, the group's million people were joined to their
    units and hashed by text, 2.3 × as long (docs/performance-history.md, session 14)."""
    per_unit = (
        access.visible_people(request.user, within=unit)
        .filter(status=Person.Status.ACTIVE)
        .values("unit_id")
        .annotate(n=Count("*"))  # not of a column: the (unit, status) index answers it alone
        .values_list("unit_id", "n")
    )
    counts = dict(per_unit)
    total, per_child = sum(counts.values()), dict[int, int]()
    child_index = unit.depth + 2  # "/1/7/42/".split("/") == ["", "1", "7", "42", ""]
    for pk, path in unit.subtree().filter(depth__gt=unit.depth).order_by().values_list("pk", "path"):
        if pk in counts:
            child = int(path.split("/")[child_index])
            per_child[child] = per_child.get(child, 0) + counts[pk]
    return total, per_child


@require_GET
@never_cache
@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    roster_units, other_units = [], []
    for unit in access.top_units(user):
        if access.can_read_roster(user, unit):
            headcount = access.visible_people(user, within=unit).filter(status=Person.Status.ACTIVE).count()
            roster_units.append((unit, headcount))
        elif access.has_role(user, UNIT_ROLES, unit):
            other_units.append(unit)
    roles = [(Role(role).label, unit) for role, unit in access.roles_of(user)]
    person = getattr(user, "person", None)  # the user's own roster entry, if it is an employee
    return render(
        request,
        "org/home.html",
        {
            "roles": roles,
            "roster_units": roster_units,
            "other_units": other_units,
            "person": person,
        },
    )


@require_GET
@never_cache
@login_required
def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    unit = access.unit_for_user(request.user, code, UNIT_ROLES)
    can_roster = access.can_read_roster(request.user, unit)
    children = list(unit.children.order_by("code"))
    headcount = None
    if can_roster:
        headcount, per_child = _active_headcounts(request, unit)
        for child in children:
            child.headcount = per_child.get(child.pk, 0)  # type: ignore[attr-defined]
    return render(
        request,
        "org/unit_detail.html",
        {
            "unit": unit,
            "ancestors": access.visible_ancestors(request.user, unit, UNIT_ROLES),
            "children": children,
            "can_roster": can_roster,
            "can_import": access.has_role(request.user, access.ADMIN_ROLES, unit),
            "can_proxy": access.has_role(request.user, access.PROXY_ROLES, unit),
            "headcount": headcount,
        },
    )


def _filtered_people(request: HttpRequest, unit: Unit) -> tuple[QuerySet[Person], dict[str, str]]:
    people = access.visible_people(request.user, within=unit).select_related("unit")
    q = request.GET.get("q", "").strip()
    if q:
        people = people.filter(Q(employee_no__startswith=q) | Q(name__contains=q))
    status = request.GET.get("status", Person.Status.ACTIVE)
    if status in Person.Status.values:
        people = people.filter(status=status)
    else:
        status = "all"
    sub = request.GET.get("unit", "").strip()
    if sub:
        subunit = (
            access.visible_units(request.user, access.ROSTER_ROLES)
            .filter(code=sub, path__startswith=unit.path)
            .first()
        )
        people = people.filter(unit__path__startswith=subunit.path) if subunit else people.none()
    return people.order_by("employee_no"), {"q": q, "status": status, "unit": sub}


@require_GET
@never_cache
@login_required
def roster(request: HtmxHttpRequest, code: str) -> HttpResponse:
    unit = access.unit_for_user(request.user, code, access.ROSTER_ROLES)
    people, filters = _filtered_people(request, unit)
    page = Paginator(people, ROSTER_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    partial = bool(request.htmx) and not request.htmx.history_restore_request
    context = {
        "unit": unit,
        "page": page,
        "filters": filters,
        "statuses": Person.Status.choices,
        "query": query.urlencode(),
    }
    if not partial:
        context["ancestors"] = access.visible_ancestors(request.user, unit, UNIT_ROLES)
        context["subunits"] = unit.children.order_by("code")
    response = render(request, "org/_roster_rows.html" if partial else "org/roster.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_GET
@never_cache
@login_required
def roster_export(request: HttpRequest, code: str) -> StreamingHttpResponse:
    unit = access.unit_for_user(request.user, code, access.ROSTER_ROLES)
    people, _filters = _filtered_people(request, unit)
    log_access(request.user, "export", unit=unit, what="roster")
    stamp = timezone.localdate().isoformat()
    response = StreamingHttpResponse(
        exports.roster_xlsx(people),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    filename = f"roster-{unit.code}-{stamp}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    return response


def _import_context(unit: Unit, **extra: object) -> dict[str, object]:
    kinds = [(k, IMPORT_KIND_LABELS.get(k, k)) for k in imports.KINDS]
    return {"unit": unit, "kinds": kinds, **extra}


@require_GET
@never_cache
@login_required
def import_form(request: HttpRequest, code: str) -> HttpResponse:
    unit = access.unit_for_user(request.user, code, access.ADMIN_ROLES)
    return render(request, "org/import.html", _import_context(unit, kind=request.GET.get("kind", "roster")))


@require_POST
@never_cache
@login_required
def import_run(request: HttpRequest, code: str) -> HttpResponse:
    unit = access.unit_for_user(request.user, code, access.ADMIN_ROLES)
    kind = request.POST.get("kind", "roster")
    upload = request.FILES.get("file")
    result = None
    error = ""
    if kind not in imports.KINDS:
        error = _("What to import: choose one of %(kinds)s.") % {"kinds": ", ".join(imports.KINDS)}
    elif upload is None:
        error = _("File: choose an .xlsx or .csv file.")
    else:
        try:
            result = imports.run_import(
                request.user,
                kind,
                upload,
                upload.name or "",
                within=unit,
                dry_run=bool(request.POST.get("dry_run")),
            )
        except imports.ImportRefused as exc:
            error = str(exc)
    status = 200 if result is not None and result.ok else 400
    return render(
        request,
        "org/import.html",
        _import_context(unit, kind=kind, result=result, error=error),
        status=status,
    )

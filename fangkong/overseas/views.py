"""Overseas project pages: the list (and its XLSX), a project with its staff, plan versions, drills and
plan activations; one URL per action. Scope: `queries.unit_for` / `project_for_user` (404 like absent);
writing is for the enterprise's prevention officers (`queries.can_write`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from fangkong.ledger.models import Item, Kind
from fangkong.lib.dates import parse_day
from fangkong.lib.xlsx import stream_xlsx
from fangkong.org import access
from fangkong.org.actions import ActionError
from fangkong.org.models import Person, Region, Unit

from . import actions, queries
from .hooks import activation_key
from .models import Project, StaffMember

PAGE_SIZE = 50
FIELDS = {
    "name", "country", "timezone", "city", "staff_cn", "staff_local", "status", "origin", "role",
    "employee_no", "title", "text", "file", "day", "scenario", "participants", "findings",
}  # fmt: skip
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class HttpResponseSeeOther(HttpResponseRedirect):
    status_code = 303


def _unit(request: HttpRequest) -> Unit:
    code = request.GET.get("unit", "").strip()
    if code:
        return queries.unit_for(request.user, code)
    unit = queries.default_unit(request.user)
    if unit is None:
        raise Http404("No projects in your scope")
    return unit


def _error_context(error: tuple[str, str] | None) -> dict[str, Any]:
    return {"error": error, "general_error": error[1] if error and error[0] not in FIELDS else ""}


# --- list ---------------------------------------------------------------------------------------


def _list_page(request: HttpRequest, unit: Unit, *, error=None, status: int = 200) -> HttpResponse:
    projects = queries.projects_in(unit)
    page = Paginator(projects, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "unit": unit,
        "crumbs": [*access.visible_ancestors(request.user, unit, queries.READ_ROLES), unit],
        "children": unit.children.filter(active=True).order_by("code"),
        "page": page,
        "can_write": queries.can_write(request.user, unit),
        "countries": Region.objects.filter(level=Region.Level.COUNTRY).order_by("code"),
        "statuses": Project.Status.choices,
        "posted": request.POST if request.method == "POST" else {},
        "query": urlencode({"unit": unit.code}),
        **_error_context(error),
    }
    return render(request, "overseas/projects.html", context, status=status)


@require_GET
@never_cache
@login_required
def projects(request: HttpRequest) -> HttpResponse:
    return _list_page(request, _unit(request))


@require_POST
@never_cache
@login_required
def create(request: HttpRequest, code: str) -> HttpResponse:
    unit = queries.unit_for(request.user, code)
    if not queries.can_write(request.user, unit):
        raise PermissionDenied
    p = request.POST
    try:
        project = actions.create_project(
            request.user,
            enterprise=unit,
            name=p.get("name", ""),
            country=p.get("country", ""),
            timezone_name=p.get("timezone", ""),
            city=p.get("city", ""),
            staff_cn=p.get("staff_cn", "0"),
            staff_local=p.get("staff_local", "0"),
            status=p.get("status", Project.Status.ACTIVE),
            owner=request.user,
        )
    except ActionError as exc:
        return _list_page(request, unit, error=(exc.field, str(exc)), status=400)
    messages.success(request, _("Project created."))
    return HttpResponseSeeOther(reverse("overseas_project", args=[project.uid]))


EXPORT_COLUMNS = (
    ("enterprise", "企业编码"),
    ("enterprise_name", "企业名称"),
    ("project", "项目名称"),
    ("country", "国家"),
    ("city", "城市"),
    ("timezone", "时区"),
    ("status", "状态"),
    ("staff_cn", "中方人员"),
    ("staff_local", "当地雇员"),
    ("plan_version", "预案版本"),
    ("last_drill", "最近演练"),
)


@require_GET
@never_cache
@login_required
def export(request: HttpRequest) -> StreamingHttpResponse:
    unit = _unit(request)
    zh = (get_language() or "").lower().startswith("zh")
    statuses = dict(Project.Status.choices)

    def rows() -> Iterator[tuple]:
        qs = queries.projects_in(unit).prefetch_related("plans", "drills")
        for p in qs.iterator(chunk_size=500):
            plans = [v.version for v in p.plans.all()]
            drills = [d.day for d in p.drills.all()]
            yield (
                p.enterprise.code,
                p.enterprise.name,
                p.name,
                p.country.name if zh else (p.country.name_en or p.country.code),
                p.city,
                p.timezone,
                str(statuses.get(p.status, p.status)) if zh else p.status,
                p.staff_cn,
                p.staff_local,
                max(plans, default=None),
                max(drills, default=None),
            )

    header = [c[1] if zh else c[0] for c in EXPORT_COLUMNS]
    response = StreamingHttpResponse(
        stream_xlsx("境外项目" if zh else "projects", header, rows()), content_type=XLSX
    )
    filename = f"projects-{unit.code}-{timezone.localdate().isoformat()}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    return response


# --- one project --------------------------------------------------------------------------------


def _project_page(
    request: HttpRequest, project: Project, *, form: str = "", error=None, status: int = 200
) -> HttpResponse:
    activations = Item.objects.filter(kind=Kind.PLAN_ACTIVATION, key=activation_key(project)).order_by(
        "-opened_at"
    )
    context = {
        "project": project,
        "unit": project.enterprise,
        "can_write": queries.can_write(request.user, project.enterprise),
        "staff": project.staff.select_related("person"),
        "plans": project.plans.defer("file_data"),
        "drills": project.drills.all(),
        "activations": activations,
        "statuses": Project.Status.choices,
        "origins": StaffMember.Origin.choices,
        "form": form,
        "posted": request.POST if request.method == "POST" else {},
        **_error_context(error),
    }
    return render(request, "overseas/project.html", context, status=status)


@require_GET
@never_cache
@login_required
def project_page(request: HttpRequest, project_uid: uuid.UUID) -> HttpResponse:
    return _project_page(request, queries.project_for_user(request.user, project_uid))


def _act(
    request: HttpRequest, project_uid: uuid.UUID, form: str, do: Callable[[Project], Any], done: str
) -> HttpResponse:
    project = queries.project_for_user(request.user, project_uid)
    if not queries.can_write(request.user, project.enterprise):
        raise PermissionDenied
    try:
        do(project)
    except ActionError as exc:
        project.refresh_from_db()
        return _project_page(request, project, form=form, error=(exc.field, str(exc)), status=400)
    messages.success(request, done)
    return HttpResponseSeeOther(reverse("overseas_project", args=[project.uid]) + f"#{form}")


@require_POST
@never_cache
@login_required
def update(request: HttpRequest, project_uid: uuid.UUID) -> HttpResponse:
    p = request.POST
    return _act(
        request,
        project_uid,
        "update",
        lambda project: actions.update_project(
            request.user,
            project,
            status=p.get("status", ""),
            staff_cn=p.get("staff_cn", ""),
            staff_local=p.get("staff_local", ""),
        ),
        _("Project updated."),
    )


@require_POST
@never_cache
@login_required
def add_staff(request: HttpRequest, project_uid: uuid.UUID) -> HttpResponse:
    p = request.POST

    def do(project: Project) -> Any:
        person = None
        if employee_no := p.get("employee_no", "").strip():
            person = (
                access.visible_people(request.user, within=project.enterprise)
                .filter(employee_no=employee_no)
                .first()
            )
            if person is None or not isinstance(person, Person):
                raise ActionError(_("no such employee in this enterprise"), "employee_no")
        return actions.add_staff(
            request.user,
            project,
            name=p.get("name", ""),
            origin=p.get("origin", ""),
            role=p.get("role", ""),
            person=person,
        )

    return _act(request, project_uid, "staff", do, _("Staff member added."))


@require_POST
@never_cache
@login_required
def add_plan(request: HttpRequest, project_uid: uuid.UUID) -> HttpResponse:
    p = request.POST
    upload = request.FILES.get("file")

    def do(project: Project) -> Any:
        data = None
        if upload is not None:
            if upload.size and upload.size > actions.MAX_FILE_BYTES:
                raise ActionError(_("the file is larger than 5 MB"), "file")
            data = upload.read()
        return actions.add_plan_version(
            request.user,
            project,
            title=p.get("title", ""),
            text=p.get("text", ""),
            file_name=(upload.name or "") if upload else "",
            file_type=(upload.content_type or "") if upload else "",
            file_data=data,
        )

    return _act(request, project_uid, "plans", do, _("New plan version saved."))


@require_GET
@never_cache
@login_required
def plan(request: HttpRequest, project_uid: uuid.UUID, version: int) -> HttpResponse:
    project = queries.project_for_user(request.user, project_uid)
    found = project.plans.filter(version=version).first()
    if found is None:
        raise Http404("No such plan version")
    if request.GET.get("file") and found.file_data:
        response = HttpResponse(bytes(found.file_data), content_type="application/octet-stream")
        response["Content-Disposition"] = content_disposition_header(True, found.file_name) or "attachment"
        response["X-Content-Type-Options"] = "nosniff"
        return response
    return render(
        request, "overseas/plan.html", {"project": project, "plan": found, "unit": project.enterprise}
    )


@require_POST
@never_cache
@login_required
def add_drill(request: HttpRequest, project_uid: uuid.UUID) -> HttpResponse:
    p = request.POST

    def do(project: Project) -> Any:
        day = None
        if p.get("day", "").strip():
            try:
                day = parse_day(p["day"])
            except ValueError:
                raise ActionError(_("not a date (YYYY-MM-DD)"), "day") from None
        return actions.record_drill(
            request.user,
            project,
            day=day,
            scenario=p.get("scenario", ""),
            participants=p.get("participants", "0"),
            findings=p.get("findings", ""),
        )

    return _act(request, project_uid, "drills", do, _("Drill recorded."))


urlpatterns = [
    path("", projects, name="overseas_projects"),
    path("projects.xlsx", export, name="overseas_export"),
    path("units/<str:code>/projects/", create, name="overseas_create"),
    path("projects/<uuid:project_uid>/", project_page, name="overseas_project"),
    path("projects/<uuid:project_uid>/update/", update, name="overseas_update"),
    path("projects/<uuid:project_uid>/staff/", add_staff, name="overseas_add_staff"),
    path("projects/<uuid:project_uid>/plans/", add_plan, name="overseas_add_plan"),
    path("projects/<uuid:project_uid>/plans/<int:version>/", plan, name="overseas_plan"),
    path("projects/<uuid:project_uid>/drills/", add_drill, name="overseas_add_drill"),
]

"""Every change of an overseas project: create, status and staff counts, named staff, a new version
of the emergency plan, a drill. Each in one transaction with its audit row."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from fangkong.audit.actions import actor_name, record
from fangkong.lib.dates import business_day
from fangkong.org.actions import ActionError
from fangkong.org.models import Person, Region, Unit

from .models import Drill, PlanVersion, Project, StaffMember

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_STAFF = 100_000


def _count(value: Any, field: str) -> int:
    try:
        n = int(str(value).strip() or "0")
    except (TypeError, ValueError):
        raise ActionError(_("a whole number is required"), field) from None
    if not 0 <= n <= MAX_STAFF:
        raise ActionError(_("between 0 and %(n)d") % {"n": MAX_STAFF}, field)
    return n


def _country(code: str) -> Region:
    country = Region.objects.filter(code=(code or "").strip().upper(), level=Region.Level.COUNTRY).first()
    if country is None:
        raise ActionError(_("choose a country (ISO 3166 code)"), "country")
    return country


def _zone(name: str) -> str:
    name = (name or "").strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ActionError(_("not a time zone name (e.g. Asia/Karachi)"), "timezone") from None
    return name


def _audit(actor: Any, verb: str, project: Project, **detail: Any) -> None:
    record(
        actor,
        f"overseas.{verb}",
        "overseas_project",
        project.uid,
        unit_code=project.enterprise.code,
        detail=detail,
    )


@transaction.atomic
def create_project(
    actor: Any,
    *,
    enterprise: Unit,
    name: str,
    country: str,
    timezone_name: str,
    city: str = "",
    staff_cn: Any = 0,
    staff_local: Any = 0,
    status: str = Project.Status.ACTIVE,
    owner: Any = None,
) -> Project:
    if enterprise.kind != Unit.Kind.ENTERPRISE:
        raise ActionError(_("a project belongs to an enterprise"), "unit")
    name = name.strip()
    if not name:
        raise ActionError(_("a name is required"), "name")
    if status not in Project.Status.values:
        raise ActionError(_("choose a status"), "status")
    project = Project.objects.create(
        name=name[:128],
        enterprise=enterprise,
        country=_country(country),
        city=city.strip()[:64],
        timezone=_zone(timezone_name),
        status=status,
        staff_cn=_count(staff_cn, "staff_cn"),
        staff_local=_count(staff_local, "staff_local"),
        owner=owner,
    )
    _audit(actor, "create", project, name=project.name, country=project.country_id, status=status)
    return project


@transaction.atomic
def update_project(actor: Any, project: Project, *, status: str, staff_cn: Any, staff_local: Any) -> Project:
    """The figures that change: status and the staff counts."""
    if status not in Project.Status.values:
        raise ActionError(_("choose a status"), "status")
    before = {"status": project.status, "staff_cn": project.staff_cn, "staff_local": project.staff_local}
    project.status = status
    project.staff_cn = _count(staff_cn, "staff_cn")
    project.staff_local = _count(staff_local, "staff_local")
    project.save(update_fields=["status", "staff_cn", "staff_local", "updated_at"])
    after = {"status": project.status, "staff_cn": project.staff_cn, "staff_local": project.staff_local}
    _audit(actor, "update", project, **{k: [before[k], v] for k, v in after.items() if before[k] != v})
    return project


@transaction.atomic
def add_staff(
    actor: Any, project: Project, *, name: str, origin: str, role: str = "", person: Person | None = None
) -> StaffMember:
    if origin not in StaffMember.Origin.values:
        raise ActionError(_("Chinese or local staff?"), "origin")
    name = (person.name if person else name).strip()
    if not name:
        raise ActionError(_("a name is required"), "name")
    member = StaffMember.objects.create(
        project=project, name=name[:64], origin=origin, role=role.strip()[:64], person=person
    )
    _audit(actor, "add_staff", project, origin=origin, person=person.employee_no if person else None)
    return member


@transaction.atomic
def add_plan_version(
    actor: Any,
    project: Project,
    *,
    title: str,
    text: str = "",
    file_name: str = "",
    file_type: str = "",
    file_data: bytes | None = None,
) -> PlanVersion:
    """A new version of the emergency plan; earlier versions stay as they were."""
    title = title.strip()
    if not title:
        raise ActionError(_("a title is required"), "title")
    if file_data is not None and len(file_data) > MAX_FILE_BYTES:
        raise ActionError(_("the file is larger than 5 MB"), "file")
    if not text.strip() and not file_data:
        raise ActionError(_("write the plan or attach its file"), "text")
    Project.objects.select_for_update().filter(pk=project.pk).first()  # one version number at a time
    last = project.plans.aggregate(n=Max("version"))["n"] or 0
    plan = PlanVersion.objects.create(
        project=project,
        version=last + 1,
        title=title[:128],
        text=text.strip(),
        file_name=(file_name or "")[:128] if file_data else "",
        file_type=(file_type or "application/octet-stream")[:100] if file_data else "",
        file_data=file_data or None,
        created_by=actor_name(actor)[:150],
    )
    _audit(actor, "plan_version", project, version=plan.version, title=plan.title, file=plan.file_name)
    return plan


@transaction.atomic
def record_drill(
    actor: Any,
    project: Project,
    *,
    day: date | None,
    scenario: str,
    participants: Any = 0,
    findings: str = "",
) -> Drill:
    today = business_day(project.timezone)
    day = day or today
    if day > today + timedelta(days=0):
        raise ActionError(_("a drill is recorded after it took place"), "day")
    scenario = scenario.strip()
    if not scenario:
        raise ActionError(_("what was practised?"), "scenario")
    latest = project.plans.aggregate(n=Max("version"))["n"]
    drill = Drill.objects.create(
        project=project,
        day=day,
        scenario=scenario[:128],
        participants=_count(participants, "participants"),
        findings=findings.strip(),
        plan_version=latest,
        created_by=actor_name(actor)[:150],
    )
    _audit(actor, "drill", project, day=str(day), scenario=drill.scenario)
    return drill

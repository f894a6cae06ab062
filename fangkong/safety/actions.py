"""Every change of state in safety and environment: report an incident, follow it up, set the report
limits, plan inspections, record visits, findings and re-inspections.

Each action is one transaction with its audit row. Who may call which action is decided by the
caller from `queries` (the scope rule); the actions check the data.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from pathlib import PurePath
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.actions import record
from fangkong.ledger import actions as ledger
from fangkong.ledger.models import CloseReason, Item, Kind
from fangkong.lib.dates import business_day, zone
from fangkong.org import access
from fangkong.org.actions import ActionError
from fangkong.org.models import Role, RoleGrant, Unit

from . import checklist
from .models import (
    DEFAULT_OTHER_MINUTES,
    DEFAULT_SERIOUS_MINUTES,
    SERIOUS_KINDS,
    Attachment,
    ChecklistEntry,
    CheckResult,
    Finding,
    Incident,
    IncidentKind,
    InspectionPlan,
    Recheck,
    ReportLimit,
    Visit,
)

CLOCK_SKEW = timedelta(minutes=5)  # an occurrence "in the future" by less than this is the phone's clock
OLDEST_REPORT = timedelta(days=366)
INVESTIGATION_DAYS = 7  # a serious incident opens an investigation item due in this many days
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ATTACHMENT_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "heic": "image/heic",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FOLLOW_UPS = ("investigation", "corrective")
INCIDENT_UNIT_KINDS = (Unit.Kind.ENTERPRISE, Unit.Kind.GRID)


# --- time ------------------------------------------------------------------------------------------


def local_instant(value: datetime | str | None, tz_name: str, field: str) -> datetime:
    """An aware instant; a naive value (a datetime-local form field) is wall-clock time in `tz_name`."""
    if value is None or value == "":
        raise ActionError(_("required"), field)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ActionError(_("not a date and time"), field) from None
    if timezone.is_naive(value):
        value = value.replace(tzinfo=zone(tz_name))
    return value


def report_limits(unit: Unit) -> tuple[int, int]:
    """(serious, other) limits in minutes: the nearest ReportLimit at or above `unit`, else defaults."""
    chain = [*unit.ancestor_ids, unit.pk]
    found = (
        ReportLimit.objects.filter(unit_id__in=chain).select_related("unit").order_by("-unit__depth").first()
    )
    if found is None:
        return DEFAULT_SERIOUS_MINUTES, DEFAULT_OTHER_MINUTES
    return found.serious_minutes, found.other_minutes


def report_limits_default() -> tuple[int, int]:
    return DEFAULT_SERIOUS_MINUTES, DEFAULT_OTHER_MINUTES


@transaction.atomic
def set_report_limits(actor: Any, unit: Unit, *, serious_minutes: int, other_minutes: int) -> ReportLimit:
    for field, value in (("serious_minutes", serious_minutes), ("other_minutes", other_minutes)):
        if not isinstance(value, int) or not 1 <= value <= 30 * 24 * 60:
            raise ActionError(_("must be a number of minutes between 1 and 43200"), field)
    limit, _created = ReportLimit.objects.update_or_create(
        unit=unit, defaults={"serious_minutes": serious_minutes, "other_minutes": other_minutes}
    )
    record(
        actor,
        "safety.set_report_limits",
        "unit",
        unit.code,
        unit_code=unit.code,
        detail={"serious_minutes": serious_minutes, "other_minutes": other_minutes},
    )
    return limit


# --- incidents -------------------------------------------------------------------------------------


def _text(value: str, field: str, limit: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ActionError(_("required"), field)
    if len(value) > limit:
        raise ActionError(_("at most %(n)d characters") % {"n": limit}, field)
    return value


def _count(value: Any, field: str) -> int:
    if value in (None, ""):
        return 0
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise ActionError(_("not a whole number"), field) from None
    if not 0 <= n <= 100_000:
        raise ActionError(_("must be between 0 and 100000"), field)
    return n


def serious_recipients(unit: Unit) -> list[Any]:
    """The admins of the incident's enterprise, of its segment(s) and of the group."""
    enterprise = unit.enterprise or unit
    chain = [*enterprise.ancestor_ids, enterprise.pk]
    ids = RoleGrant.objects.filter(
        unit_id__in=chain, role__in=list(access.ADMIN_ROLES), user__is_active=True
    ).values("user_id")
    return list(get_user_model().objects.filter(pk__in=ids).order_by("pk"))


@transaction.atomic
def report_incident(
    actor: Any,
    *,
    unit: Unit,
    kind: str,
    occurred_at: datetime | str | None,
    place: str,
    description: str,
    people_affected: Any = 0,
    immediate_actions: str = "",
) -> Incident:
    """Record an incident now; late if reported after the limit that applies to its kind and unit.

    A serious one notifies the enterprise's, the segment's and the group's admins at once and opens
    an investigation item (owner: the enterprise's prevention officer, due in 7 days)."""
    if unit.kind not in INCIDENT_UNIT_KINDS:
        raise ActionError(_("an incident happens in an enterprise or one of its grids"), "unit")
    if kind not in IncidentKind.values:
        raise ActionError(_("choose a kind"), "kind")
    enterprise = unit.enterprise or unit
    now = timezone.now()
    occurred = local_instant(occurred_at, enterprise.timezone, "occurred_at")
    if occurred > now + CLOCK_SKEW:
        raise ActionError(_("cannot be in the future"), "occurred_at")
    if occurred < now - OLDEST_REPORT:
        raise ActionError(_("more than a year ago: is the date right?"), "occurred_at")
    occurred = min(occurred, now)
    serious = kind in SERIOUS_KINDS
    serious_limit, other_limit = report_limits(unit)
    limit = serious_limit if serious else other_limit
    incident = Incident.objects.create(
        kind=kind,
        serious=serious,
        unit=unit,
        enterprise=enterprise,
        occurred_at=occurred,
        occurred_on=business_day(enterprise.timezone, occurred),
        reported_at=now,
        place=_text(place, "place", 200),
        description=_text(description, "description", 4000),
        people_affected=_count(people_affected, "people_affected"),
        immediate_actions=_text(immediate_actions, "immediate_actions", 4000, required=False),
        reported_by=actor if getattr(actor, "pk", None) else None,
        limit_minutes=limit,
        late=now - occurred > timedelta(minutes=limit),
    )
    record(
        actor,
        "safety.report_incident",
        "incident",
        incident.uid,
        unit_code=enterprise.code,
        detail={"kind": kind, "unit": unit.code, "serious": serious, "late": incident.late},
    )
    if serious:
        _serious_follow_through(actor, incident)
    return incident


def _serious_follow_through(actor: Any, incident: Incident) -> None:
    from fangkong.notify.api import notify

    unit = incident.unit
    link = reverse("safety_incident", args=[incident.uid])
    local = incident.occurred_at.astimezone(zone(incident.enterprise.timezone))
    subject = _("Serious incident at %(unit)s: %(kind)s") % {
        "unit": incident.enterprise.name,
        "kind": incident.get_kind_display(),
    }
    body = _("%(kind)s at %(place)s, %(unit)s, on %(time)s. People affected: %(n)d. %(description)s") % {
        "kind": incident.get_kind_display(),
        "place": incident.place,
        "unit": unit.name,
        "time": local.strftime("%Y-%m-%d %H:%M"),
        "n": incident.people_affected,
        "description": incident.description[:300],
    }
    notify(
        actor,
        serious_recipients(unit),
        subject=subject,
        body=body,
        link=link,
        unit=unit,
        key=f"safety.serious:{incident.uid}",
    )
    officers = access.holders(incident.enterprise, (Role.ENTERPRISE_ADMIN,))
    add_follow_up(
        actor,
        incident,
        what="investigation",
        title=_("Investigate: %(kind)s, %(unit)s") % {"kind": incident.get_kind_display(), "unit": unit.name},
        owner=officers[0] if officers else None,
        due_at=timezone.now() + timedelta(days=INVESTIGATION_DAYS),
    )


@transaction.atomic
def add_follow_up(
    actor: Any, incident: Incident, *, what: str, title: str, owner: Any, due_at: datetime | str | None
) -> Item:
    """An investigation or a corrective action of an incident: a ledger item with owner and due time."""
    if what not in FOLLOW_UPS:
        raise ActionError(_("choose investigation or corrective action"), "what")
    title = _text(title, "title", 200)
    due = local_instant(due_at, incident.enterprise.timezone, "due_at")
    if due <= timezone.now():
        raise ActionError(_("must be in the future"), "due_at")
    item, _created = ledger.open_item(
        actor,
        kind=Kind.INCIDENT,
        key=f"{incident.ledger_prefix}{uuid.uuid4().hex[:12]}",
        unit=incident.unit,
        title=title,
        due_at=due,
        owner=owner,
        detail={"incident": str(incident.uid), "what": what},
    )
    record(
        actor,
        "safety.add_follow_up",
        "incident",
        incident.uid,
        unit_code=incident.enterprise.code,
        detail={"what": what, "item": str(item.uid)},
    )
    return item


# --- inspections -----------------------------------------------------------------------------------


@transaction.atomic
def create_plan(
    actor: Any,
    *,
    unit: Unit,
    title: str,
    starts_on: date | None,
    ends_on: date | None,
    units: Sequence[Unit],
    inspectors: Iterable[Any] = (),
) -> InspectionPlan:
    """A supervision plan of `unit` (who runs it) over some of the units of its subtree."""
    title = _text(title, "title", 200)
    if starts_on is None:
        raise ActionError(_("required"), "starts_on")
    if ends_on is None:
        raise ActionError(_("required"), "ends_on")
    if ends_on < starts_on:
        raise ActionError(_("ends before it starts"), "ends_on")
    if not units:
        raise ActionError(_("choose at least one unit to inspect"), "units")
    for u in units:
        if not u.is_within(unit):
            raise ActionError(
                _("%(code)s is not under %(unit)s") % {"code": u.code, "unit": unit.code}, "units"
            )
    plan = InspectionPlan.objects.create(
        unit=unit,
        title=title,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=str(getattr(actor, "username", actor)),
    )
    plan.units.set(units)
    plan.inspectors.set(list(inspectors))
    record(
        actor,
        "safety.create_plan",
        "inspection_plan",
        plan.uid,
        unit_code=unit.code,
        detail={"units": [u.code for u in units], "inspectors": [u.username for u in plan.inspectors.all()]},
    )
    return plan


@transaction.atomic
def record_visit(
    actor: Any,
    *,
    unit: Unit,
    visited_at: datetime | str | None,
    results: dict[str, tuple[str, str]],
    summary: str = "",
    plan: InspectionPlan | None = None,
    self_inspection: bool = False,
) -> Visit:
    """A visit with its checklist: `results` maps aspect code to (result, note); every aspect answered."""
    if unit.kind not in INCIDENT_UNIT_KINDS:
        raise ActionError(_("a visit is to an enterprise or one of its grids"), "unit")
    if plan is not None and not plan.units.filter(pk__in=[*unit.ancestor_ids, unit.pk]).exists():
        raise ActionError(_("this unit is not in the plan"), "plan")
    enterprise = unit.enterprise or unit
    at = local_instant(visited_at, enterprise.timezone, "visited_at")
    if at > timezone.now() + CLOCK_SKEW:
        raise ActionError(_("cannot be in the future"), "visited_at")
    entries = []
    for aspect in checklist.aspects():
        result, note = results.get(aspect.code, ("", ""))
        if result not in CheckResult.values:
            raise ActionError(_("answer every line of the checklist"), f"check_{aspect.code}")
        entries.append((aspect.code, result, _text(note, f"note_{aspect.code}", 500, required=False)))
    unknown = set(results) - checklist.codes()
    if unknown:
        raise ActionError(_("not a checklist aspect: %(code)s") % {"code": sorted(unknown)[0]}, "checklist")
    visit = Visit.objects.create(
        plan=plan,
        unit=unit,
        enterprise=enterprise,
        inspector=actor,
        self_inspection=self_inspection,
        visited_at=at,
        summary=_text(summary, "summary", 4000, required=False),
    )
    ChecklistEntry.objects.bulk_create(
        ChecklistEntry(visit=visit, aspect=code, result=result, note=note) for code, result, note in entries
    )
    record(
        actor,
        "safety.record_visit",
        "inspection_visit",
        visit.uid,
        unit_code=enterprise.code,
        detail={
            "unit": unit.code,
            "plan": str(plan.uid) if plan else None,
            "self_inspection": self_inspection,
            "issues": [c for c, r, _n in entries if r == CheckResult.ISSUE],
        },
    )
    return visit


def _check_files(files: Iterable[UploadedFile]) -> list[tuple[UploadedFile, str, str]]:
    """Every file checked before any is written: a refused upload leaves nothing behind."""
    checked = []
    for f in files:
        name = PurePath(f.name or "file").name[:200]
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if ext not in ATTACHMENT_TYPES:
            raise ActionError(
                _("%(name)s: only photos (jpg, png, webp, heic), PDF, DOCX or XLSX") % {"name": name}, "files"
            )
        if f.size is None or f.size > MAX_ATTACHMENT_BYTES:
            raise ActionError(_("%(name)s: larger than 10 MB") % {"name": name}, "files")
        checked.append((f, name, ext))
    return checked


def _attach(
    actor: Any, finding: Finding, files: list[tuple[UploadedFile, str, str]], recheck: Recheck | None = None
) -> None:
    for f, name, ext in files:
        attachment = Attachment(
            finding=finding,
            recheck=recheck,
            name=name,
            content_type=ATTACHMENT_TYPES[ext],
            size=f.size or 0,
            uploaded_by=str(getattr(actor, "username", actor)),
        )
        # Stored under a random name: the uploader's file name is kept only as the label.
        attachment.file.save(f"{attachment.uid.hex}.{ext}", f, save=False)
        attachment.save()


@transaction.atomic
def add_finding(
    actor: Any,
    visit: Visit,
    *,
    description: str,
    deadline: datetime | str | None,
    aspect: str = "",
    files: Sequence[UploadedFile] = (),
    owner: Any = None,
) -> Finding:
    """A finding of a visit, with its rectification item (owner: the enterprise's officer by default)."""
    description = _text(description, "description", 4000)
    if aspect and aspect not in checklist.codes():
        raise ActionError(_("not a checklist aspect"), "aspect")
    due = local_instant(deadline, visit.enterprise.timezone, "deadline")
    if due <= timezone.now():
        raise ActionError(_("must be in the future"), "deadline")
    if owner is None:
        officers = access.holders(visit.unit, (Role.ENTERPRISE_ADMIN,))
        owner = officers[0] if officers else None
    checked = _check_files(files)
    finding_uid = uuid.uuid4()
    item, _created = ledger.open_item(
        actor,
        kind=Kind.INSPECTION_FINDING,
        key=f"finding:{finding_uid}",
        unit=visit.unit,
        title=_("Rectify: %(text)s") % {"text": description[:150]},
        due_at=due,
        owner=owner,
        detail={"finding": str(finding_uid), "visit": str(visit.uid), "aspect": aspect},
    )
    finding = Finding.objects.create(
        uid=finding_uid,
        visit=visit,
        unit=visit.unit,
        aspect=aspect,
        description=description,
        deadline=due,
        item=item,
    )
    _attach(actor, finding, checked)
    record(
        actor,
        "safety.add_finding",
        "inspection_finding",
        finding.uid,
        unit_code=visit.enterprise.code,
        detail={"visit": str(visit.uid), "aspect": aspect, "item": str(item.uid), "files": len(files)},
    )
    return finding


@transaction.atomic
def reinspect(
    actor: Any,
    finding: Finding,
    *,
    resolved: bool,
    note: str = "",
    files: Sequence[UploadedFile] = (),
    new_deadline: datetime | str | None = None,
) -> Recheck:
    """A re-inspection: resolved closes the finding's ledger item; not resolved records why on it and
    may set a new deadline."""
    item = Item.objects.select_for_update().get(pk=finding.item_id)
    if not item.is_open:
        raise ActionError(_("this finding is already closed out"), "state")
    note = _text(note, "note", 1000, required=not resolved)
    due = None
    if not resolved and new_deadline not in (None, ""):
        due = local_instant(new_deadline, finding.visit.enterprise.timezone, "new_deadline")
        if due <= timezone.now():
            raise ActionError(_("must be in the future"), "new_deadline")
        if item.owner is None:
            raise ActionError(_("the item has no owner to give the new deadline to"), "new_deadline")
    checked = _check_files(files)
    recheck = Recheck.objects.create(
        finding=finding, inspector=actor, at=timezone.now(), resolved=resolved, note=note
    )
    _attach(actor, finding, checked, recheck)
    if resolved:
        ledger.close_item(
            actor,
            item,
            reason=CloseReason.RESOLVED,
            note=note,
            evidence=_("re-inspection by %(who)s") % {"who": getattr(actor, "username", actor)},
        )
    else:
        item = ledger.follow_up(
            actor, item, note=_("re-inspection: not rectified. %(note)s") % {"note": note}
        )
        if due is not None and item.owner is not None:
            ledger.assign_item(actor, item, item.owner, due_at=due)
            Finding.objects.filter(pk=finding.pk).update(deadline=due)
    record(
        actor,
        "safety.reinspect",
        "inspection_finding",
        finding.uid,
        unit_code=finding.visit.enterprise.code,
        detail={"resolved": resolved},
    )
    return recheck

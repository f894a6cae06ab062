"""Revealing an identifier (an explicit, logged act) and the access log (data-protection officers only)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from fangkong.lib.xlsx import stream_xlsx
from fangkong.org import access
from fangkong.org.models import Role, Unit

from . import actions
from .models import AccessRecord

PAGE_SIZE = 50
FIELDS = [("id_number", "ID number"), ("mobile", "Mobile")]


# --- reveal --------------------------------------------------------------------------------------


def _reveal_context(person: Any, **extra: Any) -> dict[str, Any]:
    fields = [(name, _(label)) for name, label in FIELDS if getattr(person, name)]
    return {"person": person, "fields": fields, **extra}


@require_GET
@never_cache
@login_required
def reveal_form(request: HttpRequest, employee_no: str) -> HttpResponse:
    person = actions.person_for_reveal(request.user, employee_no)
    return render(request, "privacy/reveal.html", _reveal_context(person))


@require_POST
@never_cache
@login_required
def reveal(request: HttpRequest, employee_no: str) -> HttpResponse:
    """Show the value once: the response is never stored (never_cache: no-store, private)."""
    person = actions.person_for_reveal(request.user, employee_no)
    field = request.POST.get("field", "")
    reason = request.POST.get("reason", "")
    try:
        value = actions.reveal_identity(request.user, person, field, reason)
    except actions.RevealRefused as exc:
        messages = {"reason": _("Say why you need the full value."), "field": _("Choose what to reveal.")}
        context = _reveal_context(person, error=(exc.field, messages[exc.field]), posted=request.POST)
        return render(request, "privacy/reveal.html", context, status=400)
    label = dict(FIELDS)[field]
    context = _reveal_context(person, revealed=(_(label), value), reason=" ".join(reason.split()))
    return render(request, "privacy/reveal.html", context)


# --- the access log ------------------------------------------------------------------------------


def officer_units(user: Any) -> list[Unit]:
    """The units a data-protection officer is granted on; 404 for anyone else (the superuser too)."""
    units = [g.unit for g in access.grants(user, [Role.DATA_PROTECTION]).order_by("unit__path")]
    if not units:
        raise Http404("No such page")
    return units


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value and value.strip() else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Filters:
    start: date | None = None
    end: date | None = None
    actor: str = ""
    action: str = ""
    employee_no: str = ""

    @classmethod
    def from_query(cls, q: Any) -> Filters:
        action = q.get("action", "")
        return cls(
            start=_day(q.get("from", "")),
            end=_day(q.get("to", "")),
            actor=q.get("actor", "").strip()[:150],
            action=action if action in AccessRecord.Action.values else "",
            employee_no=q.get("employee_no", "").strip()[:32],
        )

    def query(self) -> str:
        values = {**asdict(self), "from": self.start or "", "to": self.end or ""}
        values.pop("start"), values.pop("end")
        return urlencode({k: v for k, v in values.items() if v})


def log_for_user(user: Any, f: Filters) -> QuerySet[AccessRecord]:
    """The access records of the officer's subtrees, filtered; the scope rule of org/access.py."""
    scope = Q(pk__in=[])
    for unit in officer_units(user):
        scope |= Q(unit_path__startswith=unit.path)
    records = AccessRecord.objects.filter(scope)
    if f.start:
        records = records.filter(at__date__gte=f.start)
    if f.end:
        records = records.filter(at__date__lte=f.end)
    if f.actor:
        records = records.filter(actor=f.actor)
    if f.action:
        records = records.filter(action=f.action)
    if f.employee_no:
        records = records.filter(employee_no=f.employee_no)
    return records.order_by("-at", "-id")


@require_GET
@never_cache
@login_required
def access_log(request: HttpRequest) -> HttpResponse:
    f = Filters.from_query(request.GET)
    page = Paginator(log_for_user(request.user, f), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": f,
        "query": f.query(),
        "actions": AccessRecord.Action.choices,
        "units": officer_units(request.user),
    }
    return render(request, "privacy/access_log.html", context)


EXPORT_COLUMNS = (
    ("at", "time", "时间"),
    ("actor", "actor", "操作人"),
    ("action", "action", "操作"),
    ("employee_no", "employee_no", "工号"),
    ("unit_code", "unit", "单位编码"),
    ("what", "what", "内容"),
    ("reason", "reason", "理由"),
)


@require_GET
@never_cache
@login_required
def access_log_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered log as XLSX; exporting it is itself an access (logged on the officer's unit)."""
    f = Filters.from_query(request.GET)
    records = log_for_user(request.user, f)
    units = officer_units(request.user)
    what = f"access log {f.query()}"
    actions.log_access(request.user, AccessRecord.Action.EXPORT, unit=units[0], what=what)
    zh = (get_language() or "").lower().startswith("zh")
    labels = {k: str(v) for k, v in AccessRecord.Action.choices}  # in the request's language, now
    tz = timezone.get_current_timezone()

    def rows() -> Any:
        for at, *rest in records.values_list(*(c[0] for c in EXPORT_COLUMNS)).iterator(chunk_size=2000):
            rest[1] = labels.get(rest[1], rest[1])
            yield (at.astimezone(tz), *rest)

    header = [c[2] if zh else c[1] for c in EXPORT_COLUMNS]
    response = StreamingHttpResponse(
        stream_xlsx("访问日志" if zh else "access log", header, rows()),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    filename = f"access-log-{timezone.localdate().isoformat()}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    return response
